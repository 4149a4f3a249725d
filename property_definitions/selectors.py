"""Property definition reads: a list page (count and rows in one statement) and one definition."""

from __future__ import annotations

from collections import namedtuple

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef, QuerySet

from event_definitions.models import PropertyDefinition, TaggedItem
from event_definitions.selectors import USER_FIELDS, _user, _user_columns
from posthog_core.models import Project
from property_definitions.filters import PropertyDefinitionListQuery

# What a row needs, under the model's attribute names, so the serializer shapes a page row and a
# fetched model instance alike.
PAGE_FIELDS = (
    "id", "name", "description", "is_numerical", "updated_at", "property_type", "verified", "verified_at", "hidden",
)
PropertyDefinitionRow = namedtuple(
    "PropertyDefinitionRow", [*PAGE_FIELDS, "is_seen_on_filtered_events", "tag_names", "updated_by", "verified_by"]
)

COUNT_SQL = "SELECT count(*) FROM event_definitions_propertydefinition p WHERE p.team_id = %(team)s AND {where}"

# The filtered, ordered ids of the window first (an index walk of `property_definition_list_order`
# when no event names reorder it), then only those rows get users and tags. The count is an
# uncorrelated subquery, evaluated once.
PAGE_SQL = f"""
SELECT ({COUNT_SQL}) AS total,
    {", ".join(f'p."{field}"' for field in PAGE_FIELDS)}, page.seen,
    ARRAY(SELECT t.name FROM event_definitions_taggeditem ti JOIN event_definitions_tag t ON t.id = ti.tag_id
          WHERE ti.property_definition_id = p.id ORDER BY t.name) AS tag_names,
    {_user_columns("u")}, {_user_columns("v")}
FROM (SELECT p.id, {{seen}} AS seen FROM event_definitions_propertydefinition p
      WHERE p.team_id = %(team)s AND {{where}}
      ORDER BY seen DESC NULLS LAST, p.verified DESC, p.name COLLATE "C"
      LIMIT %(limit)s OFFSET %(offset)s) AS page
JOIN event_definitions_propertydefinition p ON p.id = page.id
LEFT JOIN posthog_core_user u ON u.id = p.updated_by_id
LEFT JOIN posthog_core_user v ON v.id = p.verified_by_id
ORDER BY page.seen DESC NULLS LAST, p.verified DESC, p.name COLLATE "C"
"""


def property_definition_page_sql(*, team: Project, query: PropertyDefinitionListQuery, offset: int,
                                 limit: int) -> tuple[str, dict]:
    """The page statement and its parameters. Tenancy: every row read is `team`'s."""
    sql = PAGE_SQL.format(where=query.where, seen=query.seen)
    return sql, {**query.params, "team": team.id, "limit": limit, "offset": offset}


def property_definition_page(*, team: Project, query: PropertyDefinitionListQuery, offset: int,
                             limit: int) -> tuple[int, list[PropertyDefinitionRow]]:
    """`(matching rows, the rows offset..offset+limit)` in one round trip (two when the page is empty)."""
    sql, params = property_definition_page_sql(team=team, query=query, offset=offset, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not rows:
            cursor.execute(COUNT_SQL.format(where=query.where), params)
            return cursor.fetchone()[0], []
    users_at = 1 + len(PAGE_FIELDS) + 2
    width = len(USER_FIELDS)
    page = [
        PropertyDefinitionRow(*row[1:users_at], _user(row, users_at), _user(row, users_at + width))
        for row in rows
    ]
    return rows[0][0], page


def property_definition_rows() -> QuerySet:
    """One definition with its users joined and its tag names aggregated: one query."""
    tag_names = TaggedItem.objects.filter(property_definition=OuterRef("pk")).order_by("tag__name").values("tag__name")
    return PropertyDefinition.objects.select_related("updated_by", "verified_by").annotate(
        tag_names=ArraySubquery(tag_names)
    )
