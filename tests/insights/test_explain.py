"""The trends SQL reads only the project's and the event's rows: PostgreSQL plans it through the
(team, event, timestamp) index with both as index conditions, never a scan of the whole table."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.db import connection

from insights.query_spec import parse_query
from insights.selectors import trends_query_buckets, trends_statements

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


def seed_many(team, other_team):
    """20,000 events per project over 50 names and 90 days, inserted by SQL like the benchmark."""
    with connection.cursor() as cursor:
        for project in (team, other_team):
            cursor.execute(
                "INSERT INTO ingestion_event (uuid, team_id, event, distinct_id, timestamp, properties, inserted_at) "
                "SELECT gen_random_uuid(), %s, 'event_' || (g %% 50), 'user_' || (g %% 500), "
                "%s - (g * 389 %% 7776000) * interval '1 second', jsonb_build_object('plan', 'p' || (g %% 10)), now() "
                "FROM generate_series(1, 20000) AS g", [project.id, NOW])
        cursor.execute("ANALYZE ingestion_event")


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain(team, query) -> list[dict]:
    spec = parse_query(query, ["query"])
    buckets = trends_query_buckets(team=team, spec=spec, now=NOW, path=["query"])
    (sql,) = trends_statements(team=team, spec=spec, buckets=buckets)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql.text, sql.params)
        document = cursor.fetchone()[0]
    document = json.loads(document) if isinstance(document, str) else document
    return list(plan_nodes(document[0]["Plan"]))


@pytest.mark.parametrize("math", ["total", "dau"])
@pytest.mark.parametrize("breakdown", [None, {"breakdown": "plan"}])
def test_trends_sql_uses_the_team_event_timestamp_index(team, other_team, math, breakdown):
    seed_many(team, other_team)
    query = {"kind": "TrendsQuery", "series": [{"event": "event_7", "math": math}],
             "dateRange": {"date_from": "-30d"}, **({"breakdownFilter": breakdown} if breakdown else {})}

    nodes = explain(team, query)

    # Every read of the events table (there may be several in a breakdown) is bounded by the project
    # and the event in its own index condition, not filtered after reading other rows.
    scans = [node for node in nodes if node.get("Relation Name") == "ingestion_event"]
    assert scans, nodes
    for node in scans:
        assert node["Node Type"] in ("Index Scan", "Index Only Scan"), node
        assert node["Index Name"] == "event_team_event_ts", node
        assert re.search(rf"\(team_id = {team.id}\)", node["Index Cond"]), node
        assert re.search(r"\(\(?event\)?(::text)? = 'event_7'::text\)", node["Index Cond"]), node
        assert "timestamp\" >=" in node["Index Cond"] and "timestamp\" <=" in node["Index Cond"], node


def test_events_list_next_page_is_an_index_range_scan_not_an_offset(session_client, team, other_team):
    from django.test.utils import CaptureQueriesContext

    seed_many(team, other_team)
    first = session_client.get(f"/api/projects/{team.id}/events/?limit=100").json()
    with CaptureQueriesContext(connection) as captured:
        session_client.get(first["next"].removeprefix("http://testserver"))
    (sql,) = [query["sql"] for query in captured.captured_queries if "FROM ingestion_event" in query["sql"]]

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
    nodes = list(plan_nodes((json.loads(document) if isinstance(document, str) else document)[0]["Plan"]))

    assert "OFFSET" not in sql.upper()
    assert [node["Node Type"] for node in nodes] == ["Limit", "Index Scan"]
    assert nodes[1]["Index Name"] == "event_team_ts_uuid"
    assert f"team_id = {team.id}" in nodes[1]["Index Cond"]
    assert "ROW(\"timestamp\", uuid) < ROW(" in nodes[1]["Index Cond"]
