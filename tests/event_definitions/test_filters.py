"""The filterset on its own, and the plans PostgreSQL picks for the list's queries."""

import pytest
from django.db import connection
from django.http import QueryDict

from event_definitions.filters import EventDefinitionFilterSet, ordering_keys, search_terms
from event_definitions.models import EventDefinition
from event_definitions.selectors import event_definition_rows
from tests.event_definitions.factories import EventDefinitionFactory

pytestmark = pytest.mark.django_db


def filtered(query: str, team) -> list[str]:
    queryset = EventDefinition.objects.filter(team=team)
    return [row.name for row in EventDefinitionFilterSet(QueryDict(query), queryset=queryset).qs]


def explain(queryset, *settings: str) -> str:
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting}")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_filterset_names_and_event_type_combine(team):
    for name in ("$pageview", "signup", "login"):
        EventDefinitionFactory(team=team, name=name)

    assert filtered("names=signup,$pageview&event_type=event_custom", team) == ["signup"]


def test_filterset_name_order_is_bytewise(team):
    for name in ("z_event_2", "Z_upper", "z_event_10", "$pageview", "_under"):
        EventDefinitionFactory(team=team, name=name)

    assert filtered("ordering=name", team) == ["$pageview", "Z_upper", "_under", "z_event_10", "z_event_2"]


def test_search_terms_drop_empty_pieces_and_nul():
    assert search_terms("  free\x00 tri  free ") == ["free", "tri"]


def test_ordering_keys_keep_first_occurrence_and_drop_unknown():
    assert ordering_keys(["-name,name", "bogus", "last_seen_at::date"]) == ["-name", "last_seen_at::date"]


def seed(team, other_team, count: int = 4000) -> None:
    """Enough rows in two projects, analysed, that the planner's choice is the one a real project gets."""
    rows = [EventDefinition(team=project, name=f"{word}_{index}") for project in (team, other_team)
            for index in range(count) for word in ["viewed_page" if index % 100 else "purchase"]]
    EventDefinition.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE event_definitions_eventdefinition")


def test_search_query_uses_trigram_index(team, other_team):
    """The search must compile to `name ILIKE '%term%'` (Django's icontains, `UPPER(name) LIKE`, cannot
    use the index). At a few thousand rows the planner may still prefer walking the project's btree,
    as it should; plain index scans are switched off so the plan shows what the trigram index serves,
    which is the plan the benchmark's 100,000-row project gets without any setting."""
    seed(team, other_team)
    queryset = EventDefinitionFilterSet(QueryDict("search=purchase"), queryset=event_definition_rows().filter(team=team)).qs

    plan = explain(queryset, "enable_indexscan = off", "enable_seqscan = off")
    assert "Bitmap Index Scan on event_definition_name_trgm" in plan


def test_default_order_uses_the_ordering_index(team, other_team):
    seed(team, other_team)
    queryset = EventDefinitionFilterSet(QueryDict(""), queryset=event_definition_rows().filter(team=team)).qs[:100]

    plan = explain(queryset)
    assert "Index Scan using event_definition_default_order" in plan
    assert "Sort" not in plan.split("SubPlan")[0]


def test_name_order_uses_the_bytewise_name_index(team, other_team):
    seed(team, other_team)
    queryset = EventDefinitionFilterSet(QueryDict("ordering=-name"), queryset=event_definition_rows().filter(team=team)).qs[:100]

    plan = explain(queryset)
    assert "event_definition_name_c" in plan
    assert "Sort" not in plan.split("SubPlan")[0]
