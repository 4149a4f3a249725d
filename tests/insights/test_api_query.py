"""POST /query/ and GET /events/: permissions, isolation, bodies, keyset paging, hostile requests."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.insights.factories import NOW, make_event
from tests.posthog_core.matrix import Route, assert_scope_outcome, matrix_cases

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

TRENDS = {"kind": "TrendsQuery", "series": [{"event": "$pageview"}], "dateRange": {"date_from": "-1d"}}
ROUTES = [
    Route("post", "/api/projects/{project_id}/query/", "query:read", body={"query": TRENDS}),
    Route("get", "/api/projects/{project_id}/events/", "query:read"),
]


def query_url(team):
    return f"/api/projects/{team.id}/query/"


def events_url(team):
    return f"/api/projects/{team.id}/events/"


@pytest.mark.parametrize(("route", "scopes", "allowed"), matrix_cases(ROUTES))
def test_query_routes_permission_matrix(scoped_client, team, route, scopes, allowed):
    assert_scope_outcome(scoped_client(scopes=scopes), route, allowed, project_id=team.id)


def test_query_anonymous_returns_401(api_client, team):
    response = api_client.post(query_url(team), {"query": TRENDS}, format="json")

    assert response.status_code == 401


def test_query_with_insight_scope_returns_403(scoped_client, team):
    response = scoped_client(scopes=["insight:write"]).post(query_url(team), {"query": TRENDS}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'query:read'"


def test_query_on_another_organizations_project_returns_403(session_client, other_team):
    response = session_client.post(query_url(other_team), {"query": TRENDS}, format="json")

    assert response.status_code == 403


def test_query_trends_happy_path_full_body(scoped_client, team, other_team):
    make_event(team, "$pageview", "2024-03-15T09:00:00")
    make_event(other_team, "$pageview", "2024-03-15T09:00:00")

    response = scoped_client(scopes=["query:read"]).post(query_url(team), {"query": TRENDS}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "results": [{
            "action": {"id": "$pageview", "type": "events", "order": 0, "name": "$pageview", "custom_name": None,
                       "math": "total", "math_property": None},
            "label": "$pageview", "count": 1, "data": [0, 1], "labels": ["14-Mar-2024", "15-Mar-2024"],
            "days": ["2024-03-14", "2024-03-15"],
        }],
        "timezone": "UTC",
        "resolved_date_range": {"date_from": "2024-03-14T00:00:00+00:00", "date_to": "2024-03-15T23:59:59.999999+00:00"},
    }


def test_query_unknown_kind_returns_400_with_attr(session_client, team):
    response = session_client.post(query_url(team), {"query": {"kind": "FunnelsQuery", "series": []}}, format="json")

    assert response.status_code == 400
    assert response.json() == {"type": "validation_error", "code": "invalid_choice",
                               "detail": "Unsupported query kind; use EventsQuery or TrendsQuery.", "attr": "query__kind"}


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_query_date_range_whose_offset_leaves_the_calendar_returns_400(session_client, team, moment):
    query = {"kind": "TrendsQuery", "series": [{"event": "a"}], "dateRange": {"date_from": moment}}

    response = session_client.post(query_url(team), {"query": query}, format="json")

    assert response.status_code == 400
    assert response.json() == {"type": "validation_error", "code": "invalid_date",
                               "detail": f"Could not parse the date '{moment}'.", "attr": "query__dateRange__date_from"}


def test_query_missing_query_returns_400(session_client, team):
    response = session_client.post(query_url(team), {}, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, "query")


def test_query_deeply_nested_json_returns_400(session_client, team):
    body = '{"query": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = session_client.post(query_url(team), body, content_type="application/json")

    assert response.status_code == 400


def test_query_huge_query_returns_400(session_client, team):
    query = {**TRENDS, "series": [{"event": "x" * 400, "properties": [
        {"key": "k", "value": ["v" * 9_000] * 100, "operator": "exact"}]}]}

    response = session_client.post(query_url(team), {"query": query}, format="json")

    assert (response.status_code, response.json()["code"], response.json()["attr"]) == (400, "max_length", "query")


def test_query_body_over_the_upload_limit_is_not_a_500(session_client, team):
    body = json.dumps({"query": {**TRENDS, "padding": "x" * 3_000_000}})

    response = session_client.post(query_url(team), body, content_type="application/json")

    assert response.status_code in (400, 413)


def test_events_list_returns_newest_first_in_legacy_shape(scoped_client, team, other_team):
    older = make_event(team, "$pageview", "2024-03-15T09:00:00", "u1", path="/a")
    newer = make_event(team, "$autocapture", "2024-03-15T10:00:00", "u2")
    make_event(other_team, "$pageview", "2024-03-15T11:00:00")

    response = scoped_client(scopes=["query:read"]).get(events_url(team))

    assert response.status_code == 200
    assert response.json() == {"next": None, "results": [
        {"id": str(newer.uuid), "distinct_id": "u2", "properties": {}, "event": "$autocapture",
         "timestamp": "2024-03-15T10:00:00+00:00"},
        {"id": str(older.uuid), "distinct_id": "u1", "properties": {"path": "/a"}, "event": "$pageview",
         "timestamp": "2024-03-15T09:00:00+00:00"},
    ]}


def test_events_list_anonymous_returns_401(api_client, team):
    assert api_client.get(events_url(team)).status_code == 401


def test_events_retrieve_of_another_projects_event_returns_404(session_client, team, other_team):
    foreign = make_event(other_team, "$pageview", "2024-03-15T09:00:00")

    response = session_client.get(f"{events_url(team)}{foreign.uuid}/")

    assert response.status_code == 404


def test_events_retrieve_returns_the_event(session_client, team):
    event = make_event(team, "$pageview", "2024-03-15T09:00:00", "u9", a=1)

    response = session_client.get(f"{events_url(team)}{event.uuid}/")

    assert response.json() == {"id": str(event.uuid), "distinct_id": "u9", "properties": {"a": 1},
                               "event": "$pageview", "timestamp": "2024-03-15T09:00:00+00:00"}


def test_events_list_pages_with_absolute_next_without_gaps_or_repeats(session_client, team, django_assert_max_num_queries):
    same_time = NOW - timedelta(hours=1)
    expected = {str(make_event(team, "tick", same_time if i % 2 else NOW - timedelta(minutes=i)).uuid) for i in range(11)}
    url, seen = f"http://testserver{events_url(team)}?limit=3&event=tick", []

    while url:
        assert url.startswith("http://testserver/")
        with django_assert_max_num_queries(6):
            body = session_client.get(url.removeprefix("http://testserver")).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]

    assert len(seen) == 11
    assert set(seen) == expected


def test_events_list_next_keeps_filters_and_never_uses_offset(session_client, team):
    for i in range(3):
        make_event(team, "keep", NOW - timedelta(minutes=i), "d1")
    make_event(team, "keep", NOW - timedelta(minutes=5), "d2")

    first = session_client.get(f"{events_url(team)}?limit=2&event=keep&distinct_id=d1").json()
    query = urlsplit(first["next"]).query

    assert "distinct_id=d1" in query and "offset" not in query
    second = session_client.get(f"{events_url(team)}?{query}").json()
    assert [row["distinct_id"] for row in second["results"]] == ["d1"]
    assert second["next"] is None


def test_events_list_filters_by_properties_json(session_client, team):
    make_event(team, "p", NOW - timedelta(minutes=1), plan="pro")
    make_event(team, "p", NOW - timedelta(minutes=2), plan="free")
    filters = json.dumps([{"key": "plan", "value": "pro", "operator": "exact"}])

    body = session_client.get(events_url(team), {"properties": filters}).json()

    assert [row["properties"] for row in body["results"]] == [{"plan": "pro"}]


def test_events_list_after_and_before_bound_the_range(session_client, team):
    make_event(team, "early", "2024-03-10T00:00:00")
    make_event(team, "mid", "2024-03-12T00:00:00")
    make_event(team, "late", "2024-03-14T00:00:00")

    body = session_client.get(events_url(team), {"after": "2024-03-11", "before": "2024-03-13"}).json()

    assert [row["event"] for row in body["results"]] == ["mid"]


@pytest.mark.parametrize(("params", "attr"), [
    ({"properties": "not json"}, "properties"),
    ({"properties": '[{"key": "a", "operator": "nope"}]'}, "properties__0__operator"),
    ({"after": "garbage"}, "after"),
    ({"cursor": "!!!"}, "cursor"),
    ({"limit": "abc"}, "limit"),
    ({"event": "a\x00b"}, "event"),
])
def test_events_list_bad_parameters_return_400(session_client, team, params, attr):
    response = session_client.get(events_url(team), params)

    assert (response.status_code, response.json()["attr"]) == (400, attr)


def test_events_list_limit_over_10000_is_clamped(session_client, team):
    make_event(team, "x", NOW - timedelta(minutes=1))

    assert session_client.get(events_url(team), {"limit": "99999999"}).status_code == 200


def test_event_definition_metrics_count_queries_that_read_the_event(session_client, team):
    from event_definitions.models import EventDefinition

    definition = EventDefinition.objects.create(team=team, name="$pageview")
    session_client.post(query_url(team), {"query": TRENDS}, format="json")
    session_client.post(query_url(team), {"query": {"kind": "EventsQuery", "select": ["event"], "event": "$pageview"}},
                        format="json")
    session_client.post(query_url(team), {"query": {**TRENDS, "series": [{"event": "other"}]}}, format="json")

    response = session_client.get(f"/api/projects/{team.id}/event_definitions/{definition.pk}/metrics/")

    assert response.json() == {"query_usage_30_day": 2}


def test_events_and_query_carry_integers_beyond_64_bits(session_client, team):
    make_event(team, "big", NOW - timedelta(minutes=1), n=2**70)

    listed = session_client.get(events_url(team)).json()
    queried = session_client.post(query_url(team), {"query": {"kind": "EventsQuery", "select": ["properties.n"]}},
                                  format="json").json()

    assert listed["results"][0]["properties"] == {"n": 2**70}
    assert queried["results"] == [[2**70]]


@pytest.mark.parametrize("depth", [500, 900, 990])
@pytest.mark.parametrize("endpoint", ["query", "insights"])
def test_query_json_nested_near_the_parser_limit_returns_400(session_client, team, endpoint, depth):
    nested = "[" * depth + "]" * depth
    body = '{"name": "x", "query": {"kind": "TrendsQuery", "series": [{"event": "x"}], "pad": ' + nested + "}}"

    response = session_client.post(f"/api/projects/{team.id}/{endpoint}/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] in ("parse_error", "unknown_field")


def test_query_events_star_rows_carry_stored_properties_as_json(session_client, team):
    event = make_event(team, "nested", NOW - timedelta(minutes=1), "u9", n=2**70, obj={"a": [1, "two", None]},
                       quote='say "hi" \\ bye')

    body = session_client.post(query_url(team), {"query": {"kind": "EventsQuery", "select": ["*", "properties.obj"]}},
                               format="json").json()

    assert body["results"] == [[
        {"uuid": str(event.uuid), "event": "nested", "distinct_id": "u9", "timestamp": event.timestamp.isoformat(),
         "properties": {"n": 2**70, "obj": {"a": [1, "two", None]}, "quote": 'say "hi" \\ bye'}},
        {"a": [1, "two", None]},
    ]]


def test_query_and_events_write_ids_and_times_exactly_as_str_and_isoformat(session_client, team):
    # orjson writes UUIDs and timestamps itself in UTC projects; the bytes must not change.
    events = [make_event(team, "tick", moment) for moment in (
        datetime(2024, 3, 15, 11, 0, 0, 120000, tzinfo=UTC), datetime(2024, 3, 15, 10, 0, tzinfo=UTC))]
    query = {"kind": "EventsQuery", "select": ["*", "uuid", "timestamp"], "after": "all"}

    bodies = [session_client.post(query_url(team), {"query": query}, format="json").content.decode(),
              session_client.get(events_url(team)).content.decode()]

    assert all('"2024-03-15T11:00:00.120000+00:00"' in body for body in bodies)
    for body in bodies:
        for event in events:
            assert f'"{event.uuid}"' in body and f'"{event.timestamp.isoformat()}"' in body


def test_query_times_in_a_zone_whose_offset_has_seconds_keep_them(session_client, team):
    # Amsterdam's local mean time in 1900 was UTC+00:19:32, which RFC 3339 writers round to minutes.
    team.timezone = "Europe/Amsterdam"
    team.save()
    event = make_event(team, "old", datetime(1900, 1, 1, tzinfo=UTC))
    expected = event.timestamp.astimezone(ZoneInfo("Europe/Amsterdam")).isoformat()
    query = {"kind": "EventsQuery", "select": ["*", "timestamp"], "after": "all"}

    body = session_client.post(query_url(team), {"query": query}, format="json").json()

    assert expected.endswith("+00:19:32")
    assert body["results"] == [[{"uuid": str(event.uuid), "event": "old", "properties": {}, "timestamp": expected,
                                 "distinct_id": "user-1"}, expected]]


@pytest.mark.parametrize("query_string", ["limit=100", "cursor=x&limit=3&event=tick", "", "x=&cursor=",
                                          "a=1&a=2&cursor=y&cursor=z&b=%C3%A9+x&properties=%5B%7B%22k%22%3A1%7D%5D"])
def test_events_next_query_sets_the_cursor_as_querydict_would(query_string):
    from django.http import QueryDict

    from insights.views import next_query

    expected = QueryDict(query_string).copy()
    expected["cursor"] = "c/+="

    assert next_query(QueryDict(query_string), "c/+=") == expected.urlencode()


@pytest.mark.parametrize(("extra", "status", "attr"), [
    ({"client_query_id": "abc", "refresh": True, "name": "n"}, 200, None),
    ({"refresh": None}, 200, None),  # the schema allows any JSON here, null too (found by make fuzz)
    ({"client_query_id": "x" * 201}, 400, "client_query_id"),
    ({"name": ["not", "text"]}, 400, "name"),
    ({"query": None}, 400, "query"),
    ({"query": "not an object"}, 400, "query"),
])
def test_query_body_fields_beside_the_query_are_validated(session_client, team, extra, status, attr):
    body = {"query": {"kind": "EventsQuery", "select": ["event"]}, **extra}

    response = session_client.post(query_url(team), body, format="json")

    assert response.status_code == status, response.content
    assert response.json().get("attr") == attr
