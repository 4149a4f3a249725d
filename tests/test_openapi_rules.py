"""The OpenAPI document states the rules the API applies, so that a client (or schemathesis, run
by `make fuzz`) that sends what the schema allows is answered 2xx, and every answer matches the
schema. Each test here comes from a schemathesis finding."""

from __future__ import annotations

import re

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.file_system.factories import FileSystemFactory

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
COMPONENTS = SCHEMA["components"]["schemas"]
NO_NUL = "^[^\\u0000]*$"


def operation(path: str, method: str) -> dict:
    return SCHEMA["paths"][path][method]


def json_schema(node):
    """An OpenAPI 3.0 schema as plain JSON Schema: `$ref` inlined, `nullable` as a null branch."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(COMPONENTS[node["$ref"].rsplit("/", 1)[1]])
    converted = {key: json_schema(value) for key, value in node.items() if key not in ("nullable", "readOnly", "writeOnly")}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_documented(response, path: str, method: str) -> None:
    documented = operation(path, method)["responses"][str(response.status_code)]
    jsonschema.validate(response.json(), json_schema(documented["content"]["application/json"]["schema"]))


def free_strings(node, where: str = ""):
    """(location, schema) of every string below `node` that states no enum, format or pattern."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"enum", "format", "pattern"} & node.keys():
            yield where, node
        for key, value in node.items():
            yield from free_strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from free_strings(value, f"{where}[{index}]")


FS = "/api/projects/{project_id}/file_system/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "path", "body"),
    [
        ("count", FS + "{id}/count/", None),
        ("count_by_path", FS + "count_by_path/", None),
        ("move", FS + "{id}/move/", {"new_path": "///"}),
        ("link", FS + "{id}/link/", {}),
    ],
)
def test_file_system_plain_detail_answers_match_the_documented_400(session_client, team, action, path, body):
    entry = FileSystemFactory(team=team, path="Docs/readme", type="doc")
    url = path.replace("{project_id}", str(team.id)).replace("{id}", str(entry.id))

    response = session_client.post(url, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert_documented(response, path, "post")


@pytest.mark.django_db
def test_file_system_move_shaped_400_matches_the_documented_400_too(session_client, team):
    entry = FileSystemFactory(team=team, path="Docs/readme", type="doc")

    response = session_client.post(f"/api/projects/{team.id}/file_system/{entry.id}/move/", {"new_path": "a" * 5000}, format="json")

    assert response.status_code == 400
    assert response.json()["attr"] == "new_path"
    assert_documented(response, FS + "{id}/move/", "post")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "status"), [("", 400), ("never_seen", 404)])
def test_by_name_plain_detail_answers_match_the_documented_schema(session_client, team, name, status):
    path = "/api/projects/{project_id}/event_definitions/by_name/"

    response = session_client.get(path.replace("{project_id}", str(team.id)), {"name": name})

    assert response.status_code == status
    assert set(response.json()) == {"detail"}
    assert_documented(response, path, "get")


def test_plain_detail_component_never_matches_the_error_shape():
    shaped = {"type": "validation_error", "code": "required", "detail": "x", "attr": None}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(shaped, json_schema(COMPONENTS["PlainDetailError"]))


def test_request_strings_state_that_nul_is_refused():
    request_components = {name: schema for name, schema in COMPONENTS.items() if name.endswith("Request")}
    parameters = {
        f"{method.upper()} {path} {parameter['name']}": parameter["schema"]
        for path, item in SCHEMA["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
        for parameter in op.get("parameters", [])
    }

    assert list(free_strings(request_components)) == []
    assert list(free_strings(parameters)) == []
    assert COMPONENTS["PatchedEnterpriseEventDefinitionRequest"]["properties"]["tags"]["items"]["pattern"] == NO_NUL


def test_paging_parameters_state_their_minimums():
    bounds = {
        (path, parameter["name"]): parameter["schema"].get("minimum")
        for path, item in SCHEMA["paths"].items()
        for op in item.values()
        if isinstance(op, dict)
        for parameter in op.get("parameters", [])
        if parameter["in"] == "query" and parameter["name"] in ("limit", "offset")
    }

    assert bounds
    assert {name: minimum for (_, name), minimum in bounds.items()} == {"limit": 1, "offset": 0}


@pytest.mark.parametrize(
    ("component", "field"),
    [("FileSystemRequest", "path"), ("FileSystemShortcutRequest", "path"), ("FileSystemMoveRequest", "new_path")],
)
def test_file_system_paths_state_that_a_segment_must_remain(component, field):
    pattern = re.compile(COMPONENTS[component]["properties"][field]["pattern"])

    assert [value for value in ("", "/", " / ", "//\t", "a\x00b") if pattern.search(value)] == []
    assert all(pattern.search(value) for value in ("a", "Docs/readme", " x ", "\\/"))
    assert COMPONENTS[component]["properties"][field]["maxLength"] == 4096


def test_count_by_path_states_its_required_path():
    [parameter] = [p for p in operation(FS + "count_by_path/", "post")["parameters"] if p["name"] == "path"]

    assert parameter["required"] is True
    assert not re.search(parameter["schema"]["pattern"], "  ")


@pytest.mark.django_db
def test_user_embedded_after_blank_role_matches_the_documented_user_basic(session_client, team):
    assert session_client.patch("/api/users/@me/", {"role_at_organization": ""}, format="json").status_code == 200
    path = "/api/projects/{project_id}/schema_property_groups/"

    response = session_client.post(path.replace("{project_id}", str(team.id)), {"name": "Checkout"}, format="json")

    assert response.status_code == 201
    assert response.json()["created_by"]["role_at_organization"] == ""
    assert_documented(response, path, "post")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/projects/{project_id}/events/{id}/", FS + "{id}/"])
def test_malformed_uuid_is_not_found_and_outside_the_documented_pattern(session_client, team, path):
    malformed = "FfD7fEBC1a7B558Bc78DeC69-3b6Aa40"  # 32 hex digits and dashes, not a UUID
    [parameter] = [p for p in operation(path, "get")["parameters"] if p["name"] == "id"]

    response = session_client.get(path.replace("{project_id}", str(team.id)).replace("{id}", malformed))

    assert not re.search(parameter["schema"]["pattern"], malformed)
    assert response.status_code == 404


def test_personal_api_key_scopes_are_listed():
    from posthog_core.scopes import VALID_SCOPES

    items = json_schema(COMPONENTS["PersonalAPIKeyRequest"]["properties"]["scopes"]["items"])

    assert items["allOf"] == [{"enum": sorted(VALID_SCOPES), "type": "string"}]


@pytest.mark.django_db
def test_stored_path_longer_than_a_request_may_send_matches_the_documented_list(session_client, team):
    # Insights and dashboards file themselves under `_create_in_folder` + their name: past 4,096.
    FileSystemFactory(team=team, path="Folder/" + "n" * 4500, type="insight")

    response = session_client.get(FS.replace("{project_id}", str(team.id)))

    assert response.status_code == 200
    assert_documented(response, FS, "get")


def test_count_by_path_path_fits_the_request_line_the_server_reads():
    [parameter] = [p for p in operation(FS + "count_by_path/", "post")["parameters"] if p["name"] == "path"]

    # Each character up to 4 UTF-8 bytes, each byte 3 once percent-encoded; gunicorn reads 4094.
    assert parameter["schema"]["maxLength"] * 4 * 3 + len("POST /api/projects/99999/file_system/count_by_path/?path= HTTP/1.1") <= 4094


def test_request_strings_that_drf_strips_state_that_whitespace_alone_is_blank():
    """DRF strips a CharField before its blank check; a schema minLength alone would admit "\\r"."""
    stated = {
        f"{name}.{field}": schema.get("pattern")
        for name, component in COMPONENTS.items() if name.endswith("Request")
        for field, schema in component.get("properties", {}).items()
        if schema.get("type") == "string" and schema.get("minLength", 0) >= 1 and not {"enum", "format"} & schema.keys()
    }

    assert stated
    assert [where for where, pattern in stated.items() if re.search(pattern, " \t\r\x1c\x85\u3000")] == []
    assert all(re.search(pattern, " a ") for pattern in stated.values())


@pytest.mark.django_db
def test_file_system_log_view_whitespace_only_type_is_the_documented_400(session_client, team):
    response = session_client.post(FS.format(project_id=team.id) + "log_view/", {"type": "\r", "ref": "x"}, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, "type")
    assert not re.search(COMPONENTS["FileSystemLogViewRequest"]["properties"]["type"]["pattern"], "\r")


@pytest.mark.parametrize("path", ["/api/projects/", "/api/projects/{project_id}/event_definitions/",
                                  "/api/projects/{project_id}/file_system/{id}/"])
def test_every_operation_documents_the_web_servers_414_for_a_long_request_line(path):
    methods = [op for op in SCHEMA["paths"].get(path, {}).values() if isinstance(op, dict)]

    assert methods
    assert all(op["responses"]["414"]["content"] == {"text/html": {"schema": {"type": "string"}}} for op in methods)
