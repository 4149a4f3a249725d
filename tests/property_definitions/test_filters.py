"""The list's parsed parameters on their own, and the plans PostgreSQL picks for the list's statement."""

import pytest
from django.db import connection
from django.http import QueryDict

from event_definitions.models import EventProperty, PropertyDefinition
from property_definitions.filters import PropertyDefinitionListQuery
from property_definitions.selectors import property_definition_page, property_definition_page_sql

pytestmark = pytest.mark.django_db


def filtered(query: str, team) -> list[str]:
    _, rows = property_definition_page(team=team, query=PropertyDefinitionListQuery.parse(QueryDict(query)),
                                       offset=0, limit=1000)
    return [row.name for row in rows]


def explain(query: str, team, *settings: str) -> str:
    sql, params = property_definition_page_sql(team=team, query=PropertyDefinitionListQuery.parse(QueryDict(query)),
                                               offset=0, limit=100)
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_parse_without_parameters_lists_event_properties_with_seen_null():
    query = PropertyDefinitionListQuery.parse(QueryDict(""))

    assert (query.seen, query.params["type"], query.params["group_type_index"]) == ("NULL::boolean", 1, -1)


def test_parse_missing_booleans_filter_nothing():
    """DRF reads an absent boolean of a QueryDict as false unless the field allows null; the nullable
    ones (`is_feature_flag` above all) must stay unset, or feature flag properties would vanish."""
    query = PropertyDefinitionListQuery.parse(QueryDict(""))

    assert "feature" not in query.where and "is_numerical" not in query.where


def test_list_query_name_order_is_bytewise(team):
    for name in ("z_prop_2", "Z_upper", "z_prop_10", "$browser", "_under"):
        PropertyDefinition.objects.create(team=team, name=name)

    assert filtered("", team) == ["$browser", "Z_upper", "_under", "z_prop_10", "z_prop_2"]


def test_list_query_session_entry_properties_are_excluded(team):
    for name in ("$session_entry_url", "$session_entryway", "$session_id"):
        PropertyDefinition.objects.create(team=team, name=name)

    assert filtered("", team) == ["$session_entryway", "$session_id"]


def seed(team, other_team, count: int = 3000) -> None:
    rows = [PropertyDefinition(team=project, name=f"{'amount' if index % 500 == 0 else 'prop'}_{index}")
            for project in (team, other_team) for index in range(count)]
    PropertyDefinition.objects.bulk_create(rows)
    EventProperty.objects.bulk_create(
        EventProperty(team=project, event=f"event_{index % 50}", property=f"prop_{index}")
        for project in (team, other_team) for index in range(count)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE event_definitions_propertydefinition")
        cursor.execute("ANALYZE event_definitions_eventproperty")


def test_default_order_walks_the_list_order_index_without_sorting_the_project(team, other_team):
    seed(team, other_team)

    plan = explain("", team)

    # The page's window: the node right under its Limit is the index walk, not a Sort of the project.
    lines = plan.splitlines()
    limit_at = next(index for index, line in enumerate(lines) if "Limit  (" in line)  # the only Limit
    first_node = next(line for line in lines[limit_at + 1:] if "->" in line)
    assert "Index Scan using property_definition_list_order" in first_node


def test_event_names_read_the_pairs_through_the_unique_index(team, other_team):
    seed(team, other_team)

    plan = explain('event_names=["event_1"]&filter_by_event_names=true', team, "enable_seqscan = off")

    assert "Index Only Scan using unique_event_property" in plan


def test_search_uses_the_trigram_index(team, other_team):
    """The search's clause is `name ILIKE '%term%'`, which the trigram index serves. Across projects,
    with sequential and plain index scans priced out, the trigram index is the only way to answer it;
    within one small project the planner may rightly walk the project's rows instead."""
    seed(team, other_team)
    query = PropertyDefinitionListQuery.parse(QueryDict("search=amount"))
    # The search's own clause: the kind's clauses would let another index compete on costs alone.
    search = " AND ".join(clause for clause in query.where.split(" AND ") if "ILIKE" in clause)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN SELECT p.id FROM event_definitions_propertydefinition p WHERE {search}", query.params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on property_definition_name_trgm" in plan
