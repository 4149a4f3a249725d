"""EventsQuery: columns, filters, ordering, paging, the streaming service and hostile input."""

from datetime import timedelta

import pytest
from rest_framework.exceptions import ValidationError

from event_definitions.models import QueryLog
from insights.services import events_query_stream, query_execute
from posthog_core.exception_handler import error_body
from tests.insights.factories import NOW, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def events_query(team, **query):
    return query_execute(team=team, query={"kind": "EventsQuery", "after": "all", **query})


def test_events_query_star_and_property_columns_full_body(team):
    event = make_event(team, "$pageview", "2024-03-15T10:00:00", "u1", browser="Firefox", n=3)

    result = events_query(team, select=["*", "event", "properties.browser", "properties.n", "timestamp"])

    assert result == {
        "columns": ["*", "event", "properties.browser", "properties.n", "timestamp"],
        "results": [[
            {"uuid": str(event.uuid), "event": "$pageview", "properties": {"browser": "Firefox", "n": 3},
             "timestamp": "2024-03-15T10:00:00+00:00", "distinct_id": "u1"},
            "$pageview", "Firefox", 3, "2024-03-15T10:00:00+00:00",
        ]],
        "types": [["*", "Tuple(UUID, String, String, DateTime64(6, 'UTC'), String)"], ["event", "String"],
                  ["properties.browser", "Nullable(String)"], ["properties.n", "Nullable(String)"],
                  ["timestamp", "DateTime64(6, 'UTC')"]],
        "hasMore": False,
        "limit": 100,
        "offset": 0,
    }


def test_events_query_defaults_to_the_last_24_hours(team):
    make_event(team, "old", NOW - timedelta(hours=30))
    make_event(team, "new", NOW - timedelta(hours=2))

    result = query_execute(team=team, query={"kind": "EventsQuery", "select": ["event"]})

    assert result["results"] == [["new"]]


def test_events_query_bounds_at_the_calendars_ends_mean_forever_as_on_the_events_list(team):
    make_event(team, "kept", NOW - timedelta(hours=2))

    result = query_execute(team=team, query={"kind": "EventsQuery", "select": ["event"],
                                             "after": "0001-01-01T00:00:00+05:00",
                                             "before": "9999-12-31T23:59:59-05:00"})

    assert result["results"] == [["kept"]]


def test_events_query_count_groups_by_other_columns(team):
    for name, times in (("a", 3), ("b", 1), ("c", 2)):
        for _ in range(times):
            make_event(team, name, NOW - timedelta(hours=1))

    result = events_query(team, select=["event", "count()"])

    assert result["results"] == [["a", 3], ["c", 2], ["b", 1]]


def test_events_query_limit_offset_and_has_more(team):
    for hour in range(5):
        make_event(team, f"e{hour}", NOW - timedelta(hours=hour + 1))

    result = events_query(team, select=["event"], limit=2, offset=1)

    assert (result["results"], result["hasMore"]) == ([["e1"], ["e2"]], True)


def test_events_query_limit_over_10000_is_clamped(team):
    assert events_query(team, select=["event"], limit=50_000)["limit"] == 10_000


def test_events_query_order_by_property_ascending(team):
    for n in (3, 1, 2):
        make_event(team, "x", NOW - timedelta(hours=1), n=n)

    result = events_query(team, select=["properties.n"], orderBy=["properties.n ASC"])

    assert result["results"] == [[1], [2], [3]]


@pytest.mark.parametrize(("operator", "value", "expected"), [
    ("exact", "Chrome", ["c1"]),
    ("exact", ["Chrome", "Safari"], ["c1", "s1"]),
    ("is_not", "Chrome", ["s1", "none", "num"]),
    ("icontains", "HRO", ["c1"]),
    ("not_icontains", "hro", ["s1", "none", "num"]),
    ("regex", "^(Saf|Chr)", ["c1", "s1"]),
    ("is_set", None, ["c1", "s1", "num"]),
    ("is_not_set", None, ["none"]),
    ("gt", 5, ["num"]),
    ("lt", "20", ["num"]),
])
def test_events_query_property_operators(team, operator, value, expected):
    make_event(team, "c1", NOW - timedelta(hours=4), browser="Chrome")
    make_event(team, "s1", NOW - timedelta(hours=3), browser="Safari")
    make_event(team, "none", NOW - timedelta(hours=2))
    make_event(team, "num", NOW - timedelta(hours=1), browser=10)

    result = events_query(team, select=["event"], orderBy=["timestamp ASC"],
                          properties=[{"key": "browser", "operator": operator, "value": value, "type": "event"}])

    assert [row[0] for row in result["results"]] == expected


HOSTILE = ["it's", 'say "hi"', "back\\slash", "100%", "a_b", "'; DROP TABLE ingestion_event; --", "$1 %s %(x)s", "?"]


@pytest.mark.parametrize("text", HOSTILE)
def test_events_query_hostile_names_and_values_are_data_not_sql(team, text):
    make_event(team, text, NOW - timedelta(hours=1), **{text: text})
    make_event(team, text, NOW - timedelta(hours=1), **{text: "decoy" + text[:-1]})

    exact = events_query(team, select=[f"properties.{text}", "count()"], event=text,
                         properties=[{"key": text, "value": text, "operator": "exact"}])
    contains = events_query(team, select=["count()"], event=text,
                            properties=[{"key": text, "value": text, "operator": "icontains"}])

    assert exact["results"] == [[text, 1]]
    assert contains["results"] == [[1]]


def test_events_query_like_wildcards_match_literally(team):
    make_event(team, "x", NOW - timedelta(hours=1), path="100%_off")
    make_event(team, "x", NOW - timedelta(hours=1), path="1000 offers")

    result = events_query(team, select=["properties.path"], properties=[{"key": "path", "value": "0%_o", "operator": "icontains"}])

    assert result["results"] == [["100%_off"]]


@pytest.mark.parametrize(("query", "attr"), [
    ({"kind": "HogQLQuery", "query": "select 1"}, "query__kind"),
    ({"kind": "EventsQuery", "select": ["event"], "where": ["1 = 1"]}, "query__where"),
    ({"kind": "EventsQuery", "select": ["event; drop"]}, "query__select__0"),
    ({"kind": "EventsQuery", "select": ["*", "count()"]}, "query__select"),
    ({"kind": "EventsQuery", "select": ["event"], "orderBy": ["count() DESC"]}, "query__orderBy__0"),
    ({"kind": "EventsQuery", "select": ["event"], "after": "not a date"}, "query__after"),
    ({"kind": "EventsQuery", "select": ["event"], "limit": "ten"}, "query__limit"),
    ({"kind": "EventsQuery", "select": ["event"], "offset": -1}, "query__offset"),
    ({"kind": "EventsQuery", "select": ["event"], "properties": [{"key": "a", "value": [[1]], "operator": "exact"}]},
     "query__properties__0__value__0"),
    ({"kind": "EventsQuery", "select": ["event"], "properties": [{"key": "a", "value": "x", "type": "person"}]},
     "query__properties__0__type"),
    ({"kind": "EventsQuery", "select": ["event"], "properties": [{"key": "a", "value": "x", "operator": "gt"}]},
     "query__properties__0__value"),
    ({"kind": "EventsQuery", "select": ["event"], "event": "a\x00b"}, "query__event"),
    ({"kind": "DataTableNode", "source": {"kind": "DataTableNode", "source": {}}}, "query__source"),
    ("not an object", "query"),
])
def test_events_query_bad_input_is_a_400_naming_the_path(team, query, attr):
    with pytest.raises(ValidationError) as error:
        query_execute(team=team, query=query)

    assert error_body(error.value)["attr"] == attr


def test_query_execute_records_the_event_names_it_read(team):
    query_execute(team=team, query={"kind": "TrendsQuery", "series": [{"event": "a"}, {"event": "b"}, {"event": "a"}]})

    assert list(QueryLog.objects.filter(team=team).values_list("event_names", "source")) == [(["a", "b"], "query")]


def test_events_query_stream_yields_every_row_in_column_order_up_to_the_limit(team):
    for minute in range(5):
        make_event(team, "s", NOW - timedelta(minutes=minute + 1), "d", n=minute)

    columns, rows = events_query_stream(team=team, query={"kind": "DataTableNode", "source": {
        "kind": "EventsQuery", "select": ["properties.n", "event"], "after": "-1d", "limit": 1}}, row_limit=4)

    assert (columns, list(rows)) == (["properties.n", "event"], [[0, "s"], [1, "s"], [2, "s"], [3, "s"]])


@pytest.mark.django_db(transaction=True)
def test_query_log_row_is_committed_without_relaxing_durability_for_later_statements(team):
    from django.db import connection

    query_execute(team=team, query={"kind": "TrendsQuery", "series": [{"event": "a"}]})

    assert list(QueryLog.objects.filter(team=team).values_list("event_names", flat=True)) == [["a"]]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
