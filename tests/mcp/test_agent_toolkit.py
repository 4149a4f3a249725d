"""PostHog's MCP agent toolkit (`@posthog/agent-toolkit`, pinned in schemas/toolchain), connected
cold with only a personal API key as an agent connects, runs every tool in our scope end to end
against a live server (tests/mcp/run_toolkit.mjs). The toolkit offers only the tools the key's
scopes allow, which it learns from `/api/personal_api_keys/@current`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accounts.services import account_bootstrap, personal_api_key_create
from insights.models import Dashboard, Insight
from posthog_core.models import Organization

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "schemas" / "toolchain" / "node_modules"
SCRIPT = Path(__file__).with_name("run_toolkit.mjs")
# What the tools below need, and nothing else: the toolkit must filter the rest out. `user:read`
# because the toolkit finds its project through /api/users/@me/ (PostHog's `mcp_server` key preset has it).
SCOPES = ["user:read", "organization:read", "project:read", "event_definition:read", "property_definition:read", "query:read",
          "insight:write", "dashboard:write"]
TOOLS = ["projects-get", "event-definitions-list", "properties-list", "query-run", "insight-create-from-query",
         "insights-get-all", "insight-get", "insight-query", "insight-update", "insight-delete", "dashboard-create",
         "dashboards-get-all", "dashboard-get", "dashboard-update", "dashboard-delete", "add-insight-to-dashboard"]


def _capture(base_url: str, token: str) -> None:
    """Three `$pageview`s and a `signed_up` yesterday, through the capture endpoint an SDK uses."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    batch = [{"event": "$pageview", "distinct_id": f"user-{n}", "timestamp": yesterday,
              "properties": {"$current_url": "https://example.com/", "plan": "pro"}} for n in range(3)]
    batch.append({"event": "signed_up", "distinct_id": "user-0", "timestamp": yesterday, "properties": {"plan": "pro"}})
    request = urllib.request.Request(f"{base_url}/batch/", data=json.dumps({"api_key": token, "batch": batch}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200


def _run_toolkit(base_url: str, key: str, workdir: Path) -> dict:
    if not (NODE_MODULES / "@posthog" / "agent-toolkit").is_dir() or not shutil.which("node"):
        pytest.fail("@posthog/agent-toolkit missing: run `bash schemas/toolchain/ensure.sh` (make test does)")
    (workdir / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    script = workdir / "run_toolkit.mjs"
    shutil.copy(SCRIPT, script)
    done = subprocess.run(["node", str(script)], cwd=workdir, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "POSTHOG_BASE_URL": base_url, "POSTHOG_API_KEY": key})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def run(django_db_setup, live_server, django_db_blocker, tmp_path_factory):
    """One cold toolkit session over the module (each tool's result is asserted on by its own test);
    its rows are committed for the live server and removed afterwards."""
    with django_db_blocker.unblock():  # the live server's thread reads the database too
        user, team = account_bootstrap(email="agent@example.com", password="agent-password",
                                       organization="Agents Inc", project="Agent project")
        key = personal_api_key_create(user=user, label="mcp", scopes=SCOPES)
        try:
            _capture(live_server.url, team.api_token)
            output = _run_toolkit(live_server.url, key._plain_value, tmp_path_factory.mktemp("toolkit"))
            output["deleted"] = {
                "insights": list(Insight.objects.filter(team=team).values_list("deleted", flat=True)),
                "dashboards": list(Dashboard.objects.filter(team=team).values_list("deleted", flat=True))}
            yield {**output, "team": team, "base_url": live_server.url}
        finally:
            Organization.objects.filter(pk=team.organization_id).delete()
            user.delete()


def result(run, tool: str):
    outcome = run["results"].get(tool)
    assert outcome is not None, f"{tool} was not run"
    assert outcome["ok"], outcome["error"]
    return outcome["data"]


def test_the_key_alone_offers_exactly_the_tools_its_scopes_allow(run):
    assert set(TOOLS) <= set(run["offered"])
    assert not {"feature-flag-get-all", "experiment-get-all", "surveys-get-all", "list-errors"} & set(run["offered"])


def test_projects_get(run):
    team = run["team"]
    assert result(run, "projects-get") == [{"id": team.id, "name": "Agent project", "organization": str(team.organization_id)}]


def test_event_definitions_list(run):
    assert sorted(event["name"] for event in result(run, "event-definitions-list")) == ["$pageview", "signed_up"]
    assert [event["name"] for event in result(run, "event-definitions-list q")] == ["signed_up"]


def test_properties_list(run):
    # The tool asks for exclude_core_properties unless told otherwise, so PostHog's own `$` properties
    # appear only with includePredefinedProperties.
    names = {prop["name"] for prop in result(run, "properties-list")}
    assert "plan" in names
    assert "$current_url" not in names
    assert {prop["name"] for prop in result(run, "properties-list predefined")} >= {"plan", "$current_url"}


def test_query_run(run):
    series = result(run, "query-run")
    assert [(row["label"], row["action"]["id"], row["count"]) for row in series] == [("Views", "$pageview", 3)]
    by_plan = result(run, "query-run breakdown")
    assert [(row["breakdown_value"], row["count"]) for row in by_plan] == [("pro", 3)]


def test_insight_create_from_query(run):
    insight = result(run, "insight-create-from-query")
    assert (insight["name"], insight["description"], insight["favorited"]) == ("Toolkit views", "Made by the toolkit", False)
    assert insight["query"]["kind"] == "InsightVizNode"
    assert insight["url"] == f"{run['base_url']}/project/{run['team'].id}/insights/{insight['short_id']}"


def test_insights_get_all(run):
    assert [insight["name"] for insight in result(run, "insights-get-all")] == ["Toolkit views"]
    assert [insight["name"] for insight in result(run, "insights-get-all search")] == ["Toolkit views"]


def test_insight_get(run):
    created = result(run, "insight-create-from-query")
    for label in ("insight-get", "insight-get short_id"):
        assert (result(run, label)["id"], result(run, label)["short_id"]) == (created["id"], created["short_id"])


def test_insight_query(run):
    answer = result(run, "insight-query")
    assert answer["insight"]["short_id"] == result(run, "insight-create-from-query")["short_id"]
    assert [row["count"] for row in answer["results"]] == [3]


def test_insight_update(run):
    assert result(run, "insight-update")["name"] == "Toolkit views, renamed"


def test_dashboard_create(run):
    dashboard = result(run, "dashboard-create")
    assert (dashboard["name"], dashboard["url"]) == (
        "Toolkit board", f"{run['base_url']}/project/{run['team'].id}/dashboard/{dashboard['id']}")


def test_dashboards_get_all(run):
    dashboard = result(run, "dashboard-create")
    assert result(run, "dashboards-get-all") == [
        {"id": dashboard["id"], "name": "Toolkit board", "description": "Made by the toolkit"}]
    assert result(run, "dashboards-get-all search") == []


def test_add_insight_to_dashboard(run):
    added = result(run, "add-insight-to-dashboard")
    assert added["dashboards"] == [result(run, "dashboard-create")["id"]]
    assert added["insight_url"].endswith(f"/insights/{result(run, 'insight-create-from-query')['short_id']}")


def test_dashboard_get(run):
    dashboard = result(run, "dashboard-get")
    assert [(tile["order"], tile["insight"]["name"]) for tile in dashboard["tiles"]] == [(0, "Toolkit views, renamed")]


def test_dashboard_update(run):
    assert result(run, "dashboard-update")["name"] == "Toolkit board, renamed"


def test_insight_delete(run):
    assert result(run, "insight-delete") == {"success": True, "message": "Insight deleted successfully"}
    assert run["deleted"]["insights"] == [True]


def test_dashboard_delete(run):
    assert result(run, "dashboard-delete") == {"success": True, "message": "Dashboard deleted successfully"}
    assert run["deleted"]["dashboards"] == [True]
