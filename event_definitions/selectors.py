"""Event definition reads beyond one queryset expression: list rows, usage metrics, primary properties."""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet
from django.utils import timezone

from accounts.serializers import UserBasicSerializer
from event_definitions.filters import EventDefinitionListQuery
from event_definitions.models import EventDefinition, QueryLog, TaggedItem
from posthog_core.db_routing import read_connection
from posthog_core.models import Project

METRICS_WINDOW_DAYS = 30


def event_definition_rows() -> QuerySet:
    """Each row with its users joined and its tag names aggregated, so a page is one query whatever its size."""
    tag_names = TaggedItem.objects.filter(event_definition=OuterRef("pk")).values("tag__name")
    return EventDefinition.objects.select_related("owner", "updated_by", "verified_by").annotate(
        tag_names=ArraySubquery(tag_names)
    )


# What a list page needs of a definition, under the model's attribute names, so the serializer shapes
# a page row and a fetched model instance alike. Users are the UserBasic fields only.
PAGE_FIELDS = (
    "id", "name", "owner_id", "description", "created_at", "updated_at", "updated_by_id", "last_seen_at", "verified",
    "verified_at", "verified_by_id", "hidden", "enforcement_mode", "default_columns", "primary_property",
)
USER_FIELDS = tuple(UserBasicSerializer.Meta.fields)
UserRow = namedtuple("UserRow", USER_FIELDS)
EventDefinitionRow = namedtuple("EventDefinitionRow", [*PAGE_FIELDS, "tag_names", "owner", "updated_by", "verified_by"])


def _user_columns(alias: str) -> str:
    return ", ".join(f'{alias}."{field}"' for field in USER_FIELDS)


# Matching rows of the project, at most `count_cap` of them (NULL: no cap).
COUNT_SQL = """SELECT count(*) FROM (SELECT 1 FROM event_definitions_eventdefinition d
    WHERE d.team_id = %(team)s AND {where} LIMIT %(count_cap)s) AS counted"""

# The page in one statement: the filtered, ordered keys of the window (an index walk over ids alone),
# then only those rows get their users joined and tag arrays built. `unnest(ARRAY(keys)) WITH
# ORDINALITY` keeps the keys' order. The count is an uncorrelated subquery: evaluated once.
PAGE_SQL = f"""
SELECT ({COUNT_SQL}) AS total,
    {", ".join(f'd."{field}"' for field in PAGE_FIELDS)},
    ARRAY(SELECT t.name FROM event_definitions_taggeditem ti JOIN event_definitions_tag t ON t.id = ti.tag_id
          WHERE ti.event_definition_id = d.id) AS tag_names,
    {_user_columns("o")}, {_user_columns("u")}, {_user_columns("v")}
FROM unnest(ARRAY(SELECT d.id FROM event_definitions_eventdefinition d
                  WHERE d.team_id = %(team)s AND {{where}} ORDER BY {{order_by}}
                  LIMIT %(limit)s OFFSET %(offset)s)) WITH ORDINALITY AS page(id, position)
JOIN event_definitions_eventdefinition d ON d.id = page.id
LEFT JOIN posthog_core_user o ON o.id = d.owner_id
LEFT JOIN posthog_core_user u ON u.id = d.updated_by_id
LEFT JOIN posthog_core_user v ON v.id = d.verified_by_id
ORDER BY page.position"""


HEDGEHOG_AT = USER_FIELDS.index("hedgehog_config")


def _user(row: tuple, start: int) -> UserRow | None:
    if row[start] is None:
        return None
    values = list(row[start:start + len(USER_FIELDS)])
    # Django's connection loads jsonb as text (JSONField parses it with `json`); a raw row has to do
    # the same, with the same parser: orjson turns integers past 64 bits into floats and refuses 1e400.
    if values[HEDGEHOG_AT] is not None:
        values[HEDGEHOG_AT] = json.loads(values[HEDGEHOG_AT])
    return UserRow._make(values)


def event_definition_page_sql(*, team: Project, query: EventDefinitionListQuery, offset: int, limit: int,
                              count_cap: int | None) -> tuple[str, dict]:
    """The page statement and its parameters. Tenancy: every row read is `team`'s."""
    sql = PAGE_SQL.format(where=query.where, order_by=query.order_by)
    return sql, {**query.params, "team": team.id, "count_cap": count_cap, "limit": limit, "offset": offset}


def event_definition_page(*, team: Project, query: EventDefinitionListQuery, offset: int, limit: int,
                          count_cap: int | None) -> tuple[int, list[EventDefinitionRow]]:
    """`(matching rows counted up to count_cap, the rows offset..offset+limit)` in one round trip
    (two when the page is empty: no row carries the count then)."""
    sql, params = event_definition_page_sql(team=team, query=query, offset=offset, limit=limit, count_cap=count_cap)
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not rows:
            cursor.execute(COUNT_SQL.format(where=query.where), params)
            return cursor.fetchone()[0], []
    users_at = 2 + len(PAGE_FIELDS)
    width = len(USER_FIELDS)
    page = [
        EventDefinitionRow(
            *row[1:users_at],
            _user(row, users_at), _user(row, users_at + width), _user(row, users_at + 2 * width),
        )
        for row in rows
    ]
    return rows[0][0], page


def event_definition_query_usage(*, definition: EventDefinition) -> int:
    """Query runs (insights, `/query/`, exports) in the last 30 days whose events include this one."""
    since = timezone.now() - timedelta(days=METRICS_WINDOW_DAYS)
    return QueryLog.objects.filter(
        team_id=definition.team_id, created_at__gte=since, event_names__contains=[definition.name]
    ).count()


def event_definition_primary_properties(*, team: Project, names: list[str]) -> dict[str, str]:
    """`{event name: primary property}` for rows that have a non-empty one; all such rows without `names`."""
    queryset = EventDefinition.objects.filter(team=team, primary_property__isnull=False).exclude(primary_property="")
    if names:
        queryset = queryset.filter(name__in=names)
    return dict(queryset.order_by("name").values_list("name", "primary_property"))

