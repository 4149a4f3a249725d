"""The OpenAPI schema: valid with no warnings, docs served offline, and a client generated from it
(openapi-python-client) parses every answer of a live server.

The generated-client check walks EVERY operation in the schema. Path parameters are resolved
generically: `project_id` is the test project, any other parameter (`id`, ...) is read from the
first row of the collection's list operation, which is seeded through its create operation when
empty. Operations that need input say so in OPERATION_INPUTS; an operation that cannot be
called or parsed fails the test unless NOT_CALLED lists it with a reason.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from accounts.services import personal_api_key_create

# --- the schema, built once at collection so each operation is its own test case -------------

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = {
    operation["operationId"]: (path, method, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in HTTP_METHODS
}
FRAGMENT_PATH = Path("/work/shared/spec/posthog-openapi-fragment.json")


@dataclass(frozen=True)
class Call:
    """How to call one operation: `body` (a dict the generated request model is built from),
    extra query/path `args`, and the status a success answers. `body` and `args` may be
    functions of the Live context, e.g. `lambda live: {"ids": [live.first("event_definitions")["id"]]}`.
    """

    body: dict | Callable | None = None
    args: dict | Callable = field(default_factory=dict)
    status: int | None = None  # default: the lowest 2xx the schema documents


def ids_of(collection: str) -> Callable:
    return lambda live: [live.first(collection)["id"]]


def organization_of(live) -> str:
    return live.http.get(f"/api/projects/{live.project_id}/").json()["organization"]


# Per-operation inputs. Add a row when an operation needs a body or a specific parameter.
OPERATION_INPUTS: dict[str, Call] = {
    "users_retrieve": Call(args={"id": "@me"}),
    "users_partial_update": Call(args={"id": "@me"}, body={"first_name": "Generated"}),
    "personal_api_keys_create": Call(body={"label": "generated", "scopes": ["*"]}),
    "personal_api_keys_update": Call(body={"label": "generated", "scopes": ["*"]}),
    "personal_api_keys_partial_update": Call(body={"label": "renamed"}),
    "personal_api_keys_roll_create": Call(status=200),
    "organizations_projects_list": Call(args=lambda live: {"organization_id": organization_of(live)}),
    "organizations_projects_retrieve": Call(
        args=lambda live: {"organization_id": organization_of(live), "id": str(live.project_id)}
    ),
    "event_definitions_create": Call(body={"name": "generated_event"}),
    "event_definitions_update": Call(body={"name": "generated_event_renamed"}),
    "event_definitions_by_name_retrieve": Call(
        args=lambda live: {"name": live.first("event_definitions")["name"]}
    ),
    "event_definitions_bulk_update_tags_create": Call(
        body=lambda live: {"action": "add", "ids": ids_of("event_definitions")(live), "tags": ["generated"]}, status=200
    ),
    "event_definitions_bulk_update_verified_create": Call(
        body=lambda live: {"ids": ids_of("event_definitions")(live), "verified": True}, status=200
    ),
    "property_definitions_list": Call(args={"event_names": '["$pageview"]', "filter_by_event_names": True}),
    "property_definitions_update": Call(body={"description": "generated", "tags": ["generated"]}),
    "property_definitions_partial_update": Call(body={"property_type": "Numeric", "verified": True}),
    "schema_property_groups_create": Call(body={"name": "generated group"}),
    "schema_property_groups_update": Call(body={"name": "generated group renamed"}),
    "event_schemas_create": Call(
        body=lambda live: {
            "event_definition": live.first("event_definitions")["id"],
            "property_group_id": live.first("schema_property_groups")["id"],
        }
    ),
    "insights_create": Call(
        body={
            "name": "Generated",
            "query": {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}]}},
        }
    ),
    "exports_create": Call(body=lambda live: {"export_format": "text/csv", "insight": live.first("insights")["id"]}),
    "query_create": Call(body={"query": {"kind": "EventsQuery", "select": ["event"]}}),
    "file_system_create": Call(body={"path": "Generated/report", "type": "folder"}),
    "file_system_update": Call(body={"path": "Generated/renamed", "type": "folder"}),
    "file_system_move_create": Call(body={"new_path": "Moved/report"}),
    "file_system_link_create": Call(body={"new_path": "Linked/report"}),
    "file_system_count_by_path_create": Call(args={"path": "Generated"}),
    "file_system_log_view_create": Call(body={"type": "insight", "ref": "abc123"}),
    "file_system_shortcut_create": Call(body={"path": "Shortcut/report", "type": "folder"}),
    "file_system_shortcut_update": Call(body={"path": "Shortcut/renamed", "type": "folder"}),
}

# Operations the walk does not call, each with the reason. Keep this list short and honest.
NOT_CALLED: dict[str, str] = {}

# Operations whose schema or answer is known to be wrong, each naming the fix: they run as
# strict xfails, so the walk fails again (and the row must go) as soon as one is fixed.
KNOWN_FAILURES: dict[str, str] = {}


def seed_events(live) -> None:
    """Events come from capture (ingestion), which the generated client does not cover."""
    from django.utils import timezone

    from ingestion.models import Event
    from posthog_core.utils import uuid7

    Event.objects.create(
        uuid=uuid7(), team_id=live.project_id, event="$pageview", distinct_id="generated", timestamp=timezone.now()
    )


def seed_property_definitions(live) -> None:
    """Property definitions come from capture too; one row seen on `$pageview`, so every field is set."""
    from event_definitions.models import EventProperty, PropertyDefinition

    PropertyDefinition.objects.create(team_id=live.project_id, name="generated_property", property_type="String")
    EventProperty.objects.create(team_id=live.project_id, event="$pageview", property="generated_property")


# Collections that cannot be seeded through a create operation.
SEEDERS: dict[str, Callable] = {
    "/api/projects/{project_id}/events/": seed_events,
    "/api/projects/{project_id}/property_definitions/": seed_property_definitions,
}


def expected_status(operation_id: str, call: Call) -> int:
    """The success status the schema documents (so a wrong one there fails the walk)."""
    if call.status is not None:
        return call.status
    return min(int(code) for code in OPERATIONS[operation_id][2]["responses"] if code.startswith("2"))


# --- schema checks -----------------------------------------------------------------------


def test_schema_builds_and_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_schema_endpoint_serves_openapi_3(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_schema_declares_the_personal_api_key_bearer_scheme():
    assert SCHEMA["components"]["securitySchemes"]["PersonalAPIKeyAuth"]["scheme"] == "bearer"


def test_every_security_requirement_names_a_declared_scheme():
    declared = set(SCHEMA["components"]["securitySchemes"])
    used = {name for _, _, operation in OPERATIONS.values() for entry in operation.get("security", []) for name in entry}

    assert used <= declared


def test_operations_list_the_scope_a_key_needs():
    security = OPERATIONS["activity_log_list"][2]["security"]

    assert {"PersonalAPIKeyAuth": ["activity_log:read"]} in security


def test_operations_describe_the_shared_error_responses():
    responses = OPERATIONS["personal_api_keys_create"][2]["responses"]

    for code in ("400", "401", "403", "404", "503"):
        assert responses[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert SCHEMA["components"]["schemas"]["ErrorResponse"]["required"] == ["attr", "code", "detail", "type"]


def _fragment_operations() -> list:
    if not FRAGMENT_PATH.exists():
        return []
    fragment = json.loads(FRAGMENT_PATH.read_text())
    return [
        pytest.param(path, method, operation, id=operation["operationId"])
        for path, item in fragment["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS and "operationId" in operation
    ]


@pytest.mark.parametrize(("path", "method", "fragment_operation"), _fragment_operations())
def test_operation_matches_the_posthog_fragment(path, method, fragment_operation):
    ours = SCHEMA["paths"].get(path, {}).get(method)

    assert ours is not None, f"{method.upper()} {path} is missing from our schema"
    assert ours["operationId"] == fragment_operation["operationId"]
    theirs = {(p["name"], p["in"]) for p in fragment_operation.get("parameters", []) if "name" in p}
    assert theirs <= {(p["name"], p["in"]) for p in ours.get("parameters", [])}


# --- docs served offline -------------------------------------------------------------------


class AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def page_assets(html: str) -> list[str]:
    collector = AssetCollector()
    collector.feed(html)
    return collector.urls


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/swagger-ui/", "/api/schema/redoc/"])
def test_docs_pages_reference_only_same_origin_assets_that_are_served(client, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    urls = page_assets(html)
    assert urls, "the page should load its assets"
    external = [url for url in urls if re.match(r"^(https?:)?//", url)]
    assert external == []
    assert "googleapis" not in html and "cdn.jsdelivr" not in html
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_swagger_ui_does_not_call_the_public_validator(client):
    html = client.get("/api/docs/").content.decode()

    assert '"validatorUrl": null' in html


# --- the generated client against a live server --------------------------------------------


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory):
    """A client generated from our schema, importable as `pc_client`."""
    root = tmp_path_factory.mktemp("client")
    schema_file = root / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA, default=str))
    config = root / "config.yaml"
    config.write_text("project_name_override: pc_client\npackage_name_override: pc_client\npost_hooks: []\n")
    executable = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(executable), "generate", "--path", str(schema_file), "--output-path", str(root / "pc_client"),
         "--meta", "none", "--config", str(config), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("pc_client")
    finally:
        sys.path.remove(str(root))


def snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()).strip("_")


def operation_module(package, operation_id: str):
    path, method, operation = OPERATIONS[operation_id]
    tag = snake((operation.get("tags") or ["default"])[0])
    return importlib.import_module(f"{package.__name__}.api.{tag}.{snake(operation_id)}")


@dataclass
class Live:
    package: typing.Any
    base_url: str
    project_id: int
    key: str
    http: httpx.Client

    def first(self, collection: str) -> dict:
        """The first row of `/api/projects/{project_id}/<collection>/`, created if there is none."""
        list_path = f"/api/projects/{{project_id}}/{collection}/"
        rows = self.list_rows(list_path) or (seed_collection(self.package, self, list_path) or self.list_rows(list_path))
        assert rows, f"{list_path} is empty and could not be seeded through its create operation"
        return rows[0]

    def list_rows(self, list_path: str) -> list[dict]:
        response = self.http.get(list_path.format(project_id=self.project_id))
        if response.status_code != 200:
            return []
        body = response.json()
        rows = body.get("results", []) if isinstance(body, dict) else body
        return [row for row in rows if isinstance(row, dict)]


def list_path_for(path: str) -> str | None:
    """The collection path an object path belongs to: `/x/{id}/y/` → `/x/`."""
    match = re.match(r"^(.*?/)\{(?!project_id\})[^}]+\}/", path)
    return match.group(1) if match else None


def build_body(package, operation: dict, body: dict):
    """The generated request model named like the operation's JSON request component."""
    content = operation["requestBody"]["content"]
    schema = (content.get("application/json") or next(iter(content.values())))["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    model = getattr(package.models, name, None)
    assert model is not None, f"the generated client has no model {name}"
    return model.from_dict(body)


def seed_collection(package, live: Live, list_path: str) -> None:
    """Create one object through the collection's create operation (its body from OPERATION_INPUTS)."""
    if list_path in SEEDERS:
        SEEDERS[list_path](live)
        return
    for operation_id, (path, method, operation) in OPERATIONS.items():
        body_required = operation.get("requestBody", {}).get("required", False)
        if path == list_path and method == "post" and (operation_id in OPERATION_INPUTS or not body_required):
            response, status = call_operation(package, live, operation_id)
            assert response.status_code == status, f"seeding {list_path}: {response.content[:300]!r}"
            return


def resolve_arguments(package, live: Live, operation_id: str, call: Call) -> dict:
    path, _, operation = OPERATIONS[operation_id]
    arguments = {"project_id": str(live.project_id)} if "{project_id}" in path else {}
    arguments.update(call.args(live) if callable(call.args) else call.args)
    missing = [name for name in re.findall(r"\{([^}]+)\}", path) if name not in arguments]
    if missing:
        list_path = list_path_for(path)
        assert list_path, f"{operation_id}: cannot resolve {missing}; add them to OPERATION_INPUTS"
        rows = live.list_rows(list_path)
        if not rows:
            seed_collection(package, live, list_path)
            rows = live.list_rows(list_path)
        assert rows, f"{operation_id}: {list_path} is empty; give its create operation a body in OPERATION_INPUTS"
        for name in missing:
            arguments[name] = str(rows[0][name])
    return arguments


def call_operation(package, live: Live, operation_id: str):
    call = OPERATION_INPUTS.get(operation_id, Call())
    path, method, operation = OPERATIONS[operation_id]
    module = operation_module(package, operation_id)
    arguments = resolve_arguments(package, live, operation_id, call)
    if "requestBody" in operation and operation["requestBody"].get("required"):
        assert call.body is not None or method == "patch", f"{operation_id} needs a body in OPERATION_INPUTS"
    if call.body is not None or ("requestBody" in operation and method == "patch"):
        body = call.body(live) if callable(call.body) else call.body
        arguments["body"] = build_body(package, operation, body or {})
    required_query = [
        p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")
    ]
    missing = [name for name in required_query if name not in arguments]
    assert not missing, f"{operation_id} needs query parameters {missing} in OPERATION_INPUTS"
    client = package.AuthenticatedClient(base_url=live.base_url, token=live.key, raise_on_unexpected_status=True)
    return module.sync_detailed(client=client, **arguments), expected_status(operation_id, call)


def _walk_cases() -> list:
    return [
        pytest.param(
            operation_id,
            marks=[pytest.mark.xfail(reason=KNOWN_FAILURES[operation_id], strict=True)]
            if operation_id in KNOWN_FAILURES
            else [],
        )
        for operation_id in sorted(OPERATIONS)
    ]


@pytest.mark.parametrize("operation_id", _walk_cases())
def test_generated_client_calls_and_parses_operation(generated_client, live_server, user, team, operation_id):
    if operation_id in NOT_CALLED:
        pytest.skip(NOT_CALLED[operation_id])
    key = personal_api_key_create(user=user, label="generated", scopes=["*"])._plain_value
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {key}"}) as http:
        live = Live(package=generated_client, base_url=live_server.url, project_id=team.id, key=key, http=http)
        response, status = call_operation(generated_client, live, operation_id)

    assert response.status_code == status, response.content[:500]
    if status == 204:
        return
    parsed = response.parsed
    assert parsed is not None, f"{operation_id}: the generated client could not parse {response.content[:300]!r}"
    assert type(parsed).__name__ != "ErrorResponse"
    if type(parsed).__name__ == "File":  # a binary answer (export content) parses to the client's File
        assert parsed.payload.read(), f"{operation_id}: empty file"
        return
    items = parsed if isinstance(parsed, list) else [parsed]
    assert all(hasattr(item, "to_dict") for item in items), f"{operation_id}: parsed to {type(parsed)}"


def test_operation_descriptions_do_not_inherit_base_class_docstrings():
    from posthog_core.viewsets import TeamScopedViewSetMixin

    leaked = [
        operation_id
        for operation_id, (_, _, operation) in OPERATIONS.items()
        if "safely_get_queryset" in operation.get("description", "")
        or TeamScopedViewSetMixin.__doc__.split(".")[0].strip() in operation.get("description", "")
    ]

    assert leaked == []
