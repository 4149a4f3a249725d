"""The trends SQL reads only the project's and the event's rows: PostgreSQL plans it through the
(team, event, timestamp) index with both as index conditions, never a scan of the whole table, and
only in the monthly partitions of the range (ingestion.partitions)."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.db import connection

from ingestion.partitions import event_partitions_ensure
from insights.query_spec import parse_query
from insights.selectors import trends_query_buckets, trends_statements

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


def seed_many(team, other_team):
    """20,000 events per project over 50 names and 90 days, inserted by SQL like the benchmark, into
    the partitions of 2023-11 to 2024-04."""
    with connection.cursor() as cursor:
        event_partitions_ensure(cursor=cursor, now=NOW, ahead=1, back=4, retention_days=None)
        for project in (team, other_team):
            cursor.execute(
                "INSERT INTO ingestion_event (uuid, team_id, event, distinct_id, timestamp, properties, inserted_at) "
                "SELECT gen_random_uuid(), %s, 'event_' || (g %% 50), 'user_' || (g %% 500), "
                "%s - (g * 389 %% 7776000) * interval '1 second', jsonb_build_object('plan', 'p' || (g %% 10)), now() "
                "FROM generate_series(1, 20000) AS g", [project.id, NOW])
        cursor.execute("ANALYZE ingestion_event")


def parent_index(name: str) -> str:
    """The events table's index that a partition's index belongs to."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_class p ON p.oid = i.inhparent WHERE c.relname = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else name


def scanned(nodes: list[dict]) -> list[str]:
    return sorted(node["Relation Name"] for node in nodes if node.get("Relation Name", "").startswith("ingestion_event"))


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def events_page_plan(session_client, path: str) -> tuple[str, list[dict]]:
    """The `/events/` statement a request runs, and its plan's nodes."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        session_client.get(path)
    (sql,) = [query["sql"] for query in captured.captured_queries if "FROM ingestion_event" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
    return sql, list(plan_nodes((json.loads(document) if isinstance(document, str) else document)[0]["Plan"]))


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
    scans = [node for node in nodes if node.get("Relation Name", "").startswith("ingestion_event")]
    assert scans, nodes
    for node in scans:
        assert node["Node Type"] in ("Index Scan", "Index Only Scan"), node
        assert parent_index(node["Index Name"]) == "event_team_event_ts", node
        assert re.search(rf"\(team_id = {team.id}\)", node["Index Cond"]), node
        assert re.search(r"\(\(?event\)?(::text)? = 'event_7'::text\)", node["Index Cond"]), node
        assert "timestamp\" >=" in node["Index Cond"] and "timestamp\" <=" in node["Index Cond"], node


def test_events_list_next_page_is_an_index_range_scan_not_an_offset(session_client, team, other_team):
    seed_many(team, other_team)
    first = session_client.get(f"/api/projects/{team.id}/events/?limit=100").json()

    sql, nodes = events_page_plan(session_client, first["next"].removeprefix("http://testserver"))

    assert "OFFSET" not in sql.upper()
    assert nodes[0]["Node Type"] == "Limit"
    scans = [node for node in nodes if node.get("Relation Name", "").startswith("ingestion_event")]
    assert scans and all(node["Node Type"] == "Index Scan" for node in scans), nodes
    for node in scans:
        assert parent_index(node["Index Name"]) == "event_team_ts_uuid", node
        assert f"team_id = {team.id}" in node["Index Cond"]
        assert "ROW(\"timestamp\", uuid) < ROW(" in node["Index Cond"]


def test_trends_30_days_reads_only_the_two_months_it_touches(team, other_team):
    seed_many(team, other_team)
    query = {"kind": "TrendsQuery", "series": [{"event": "event_7"}], "dateRange": {"date_from": "-30d"}}

    assert scanned(explain(team, query)) == ["ingestion_event_p2024_02", "ingestion_event_p2024_03"]


def test_events_page_in_a_date_range_reads_only_its_months(session_client, team, other_team):
    seed_many(team, other_team)

    _, nodes = events_page_plan(session_client, f"/api/projects/{team.id}/events/?after=2024-01-05&before=2024-02-10")

    assert scanned(nodes) == ["ingestion_event_p2024_01", "ingestion_event_p2024_02"]


def test_events_next_page_skips_the_months_after_its_cursor(session_client, team, other_team):
    seed_many(team, other_team)
    first = session_client.get(f"/api/projects/{team.id}/events/?before=2024-01-20&limit=100").json()

    _, nodes = events_page_plan(session_client, first["next"].removeprefix("http://testserver"))

    # Older months stay (the page continues into them), newer ones are pruned.
    assert scanned(nodes) == ["ingestion_event_default", "ingestion_event_p2023_11", "ingestion_event_p2023_12",
                              "ingestion_event_p2024_01"]
