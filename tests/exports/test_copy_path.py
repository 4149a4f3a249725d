"""CSV of an `export_context.path` to `/events/`: the COPY route against the in-process view route."""

import csv
import io
import json
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage

from accounts.services import personal_api_key_create
from exports import assembly
from exports.models import ExportedAsset
from exports.services import export_render, exported_asset_create
from tests.exports.factories import ExportedAssetFactory, event_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

COLUMNS = ["id", "event", "distinct_id", "timestamp", "properties.$browser", "properties.price",
           "properties.n", "properties.flag", "properties.tags", "properties.missing", "uuid"]
# Floats Python and PostgreSQL print differently unless converted: trailing zeros, whole numbers,
# the e+15 decade (positional in Python), tiny and huge magnitudes.
FLOATS = [12.5, 12.3, 100.0, 0.1 + 0.2, 1234567890123456.8, 1e15, -0.0, 1e-05, 0.0001, 3.5e20, 5e-324]


@pytest.fixture
def events(team):
    made = [
        event_create(team, "$pageview", "2019-12-10T10:00:00.250000", "u-1",
                     **{"$browser": 'Sa,"fari"\nx', "price": "12.50", "n": 3, "flag": True, "tags": [1, "b", None]}),
        event_create(team, "$pageview", "2019-12-11T10:00:00", "u-2",
                     **{"$browser": "Ünï", "n": -7, "flag": None, "tags": {"c": {"d": "e"}}, "price": ""}),
        event_create(team, "signup", "2019-12-12T10:00:00", "u-1", **{"$browser": "Chrome", "n": 2**70}),
        event_create(team, "$pageview", "2020-01-05T10:00:00", "u-3", **{"$browser": "Chrome"}),
    ]
    made += [event_create(team, "$pageview", f"2019-12-20T0{i}:00:00", f"f-{i}", **{"$browser": "Firefox", "n": value})
             for i, value in enumerate(FLOATS[:9])]
    made += [event_create(team, "$pageview", f"2019-12-21T0{i}:00:00", "f-x", **{"n": value}) for i, value in
             enumerate(FLOATS[9:])]
    return made


def render(team, user, path, monkeypatch, *, fast: bool, columns=COLUMNS, auth=None) -> tuple[ExportedAsset, list]:
    """Export `path` as CSV through the COPY route (fast) or the in-process view route; the asset
    and which COPY results ran."""
    copied = []
    real_copy = assembly.events_path_csv_copy
    monkeypatch.setattr(assembly, "events_path_csv_copy", lambda **kw: copied.append(real_copy(**kw)) or copied[-1])
    if not fast:
        monkeypatch.setattr(assembly.ExportSource, "copy_csv", lambda self, out: False)
    asset = ExportedAssetFactory(team=team, created_by=user, export_format="text/csv",
                                 export_context={"path": path, "columns": columns})
    export_render(asset=asset, auth=auth)
    monkeypatch.undo()
    return asset, copied


def rows(asset) -> list[list[str]]:
    with default_storage.open(asset.content_location, "rb") as stored:
        return list(csv.reader(io.StringIO(stored.read().decode())))


def both(team, user, path, monkeypatch, **kwargs):
    fast, copied = render(team, user, path, monkeypatch, fast=True, **kwargs)
    general, _ = render(team, user, path, monkeypatch, fast=False, **kwargs)
    return fast, general, copied


@pytest.mark.parametrize("query", [
    "after=2000-01-01",
    "event=$pageview&after=2019-12-01&before=2019-12-21",
    "distinct_id=u-1&after=2019-01-01",
    "after=2019-12-01&properties=" + quote(json.dumps([{"key": "$browser", "value": ["Chrome", "Firefox"],
                                                          "operator": "exact", "type": "event"}])),
    "after=2019-12-01&limit=2&event=",
])
def test_copy_route_reads_back_as_the_in_process_route(team, user, events, monkeypatch, query):
    fast, general, copied = both(team, user, f"/api/projects/{team.id}/events?{query}", monkeypatch)
    assert len(copied) == 1 and copied[0] is not None
    assert rows(fast) == rows(general)
    assert len(rows(fast)) > 1
    assert (fast.rows_exported, fast.truncated) == (general.rows_exported, general.truncated)


def test_copy_route_prints_floats_as_python_does(team, user, events, monkeypatch):
    fast, general, copied = both(team, user, f"/api/projects/{team.id}/events?after=2019-12-01&distinct_id=f-x",
                                 monkeypatch, columns=["properties.n"])
    assert copied[0] == (2, False)
    assert rows(fast) == rows(general) == [["properties.n"], [repr(5e-324)], [repr(3.5e20)]]  # newest first


def test_copy_route_whole_properties_and_environment_alias(team, user, events, monkeypatch):
    path = "/api/environments/@current/events/?after=2019-12-01&distinct_id=u-2"
    fast, general, copied = both(team, user, path, monkeypatch, columns=["properties", "event"])
    assert copied[0] == (1, False)
    assert rows(fast) == rows(general)


@pytest.mark.parametrize(("tags", "printed"), [({"ratio": 0.50}, '{"ratio": 0.5}'),
                                               ([2**70], f"[{float(2**70)!r}]")])
def test_number_inside_an_object_that_may_become_a_float_falls_back_to_the_view(team, user, events, monkeypatch,
                                                                                 tags, printed):
    event_create(team, "$pageview", "2019-12-30T10:00:00", "u-9", tags=tags)
    fast, general, copied = both(team, user, f"/api/projects/{team.id}/events?after=2019-12-29&distinct_id=u-9", monkeypatch,
                                 columns=["properties.tags"])
    assert copied == [None]
    assert rows(fast) == rows(general) == [["properties.tags"], [printed]]


def test_dotted_property_key_takes_the_in_process_route(team, user, events, monkeypatch):
    event_create(team, "$pageview", "2019-12-30T10:00:00", "u-9", nested={"inner": "x"})
    fast, general, copied = both(team, user, f"/api/projects/{team.id}/events?after=2019-12-29&distinct_id=u-9", monkeypatch,
                                 columns=["properties.nested.inner"])
    assert copied == [None]
    assert rows(fast) == rows(general) == [["properties.nested.inner"], ["x"]]


def test_copy_route_row_cap_truncates_like_the_view_route(team, user, events, monkeypatch, settings):
    settings.EXPORT_ROW_LIMIT = 3
    fast, general, copied = both(team, user, f"/api/projects/{team.id}/events?after=2000-01-01&limit=1", monkeypatch)
    assert copied[0] == (3, True)
    assert rows(fast) == rows(general) and len(rows(fast)) == 4
    assert (general.rows_exported, general.truncated) == (3, True)


def test_copy_route_needs_the_keys_query_scope(team, user, events, monkeypatch):
    key = personal_api_key_create(user=user, label="export only", scopes=["export:write"])
    fast, _ = render(team, user, f"/api/projects/{team.id}/events", monkeypatch, fast=True, auth=key)
    assert (fast.has_content, fast.failure_type) == (False, "user")
    assert fast.exception == "export_context.path answered 403: API key missing required scope 'query:read'"


def test_copy_route_needs_the_user_to_belong_to_the_project(team, events, monkeypatch, other_team):
    outsider = UserFactory(current_project=other_team)
    MembershipFactory(organization=other_team.organization, user=outsider)
    fast, copied = render(team, outsider, f"/api/projects/{team.id}/events", monkeypatch, fast=True)
    assert fast.has_content is False and fast.failure_type == "user"
    assert fast.exception.startswith("export_context.path answered 40")


def test_copy_route_refuses_another_projects_path(team, user, other_team, monkeypatch):
    fast, copied = render(team, user, f"/api/projects/{other_team.id}/events", monkeypatch, fast=True)
    assert fast.has_content is False
    assert fast.exception == "export_context.path must be under /api/projects/{id}/ of this project."


def test_copy_route_reports_an_invalid_filter_as_the_view_does(team, user, monkeypatch):
    fast, general, _ = both(team, user, f"/api/projects/{team.id}/events?after=notadate", monkeypatch)
    assert fast.exception == general.exception
    assert fast.exception.startswith("export_context.path answered 400")


def test_copy_route_keeps_a_limit_the_view_rejects(team, user, monkeypatch):
    fast, general, _ = both(team, user, f"/api/projects/{team.id}/events?limit=0", monkeypatch)
    assert fast.exception == general.exception and "limit" in fast.exception


def test_path_export_through_the_service_uses_copy(team, user, events, monkeypatch):
    copied = []
    real_copy = assembly.events_path_csv_copy
    monkeypatch.setattr(assembly, "events_path_csv_copy", lambda **kw: copied.append(real_copy(**kw)) or copied[-1])
    asset = exported_asset_create(team=team, user=user, data={"export_format": "text/csv", "export_context": {
        "path": f"/api/projects/{team.id}/events?event=signup&after=2019-01-01", "columns": ["distinct_id"]}})
    assert copied == [(1, False)]
    assert rows(asset) == [["distinct_id"], ["u-1"]]
