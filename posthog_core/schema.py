"""OpenAPI generation: the personal-API-key bearer scheme with each operation's scope."""

from __future__ import annotations

import inspect

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from rest_framework import serializers

from posthog_core.scopes import required_scopes_for

PERSONAL_API_KEY_SCHEME = "PersonalAPIKeyAuth"


class PersonalAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "posthog_core.auth.PersonalAPIKeyAuthentication"
    name = PERSONAL_API_KEY_SCHEME

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API key (`phx_...`), created at /api/personal_api_keys/.",
        }


class SessionCookieScheme(OpenApiAuthenticationExtension):
    target_class = "posthog_core.auth.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class ErrorResponseSerializer(serializers.Serializer):
    """The one error shape (drf-exceptions-hog): the `ErrorResponse` component."""

    type = serializers.CharField(
        help_text="validation_error, authentication_error, invalid_request, throttled_error or server_error."
    )
    code = serializers.CharField(help_text="A stable snake_case code, e.g. `not_found`, `required`, `permission_denied`.")
    detail = serializers.CharField(help_text="A sentence for humans; only the first error is reported.")
    attr = serializers.CharField(
        allow_null=True, help_text="The offending field (nested fields joined by `__`), or null."
    )


class PlainDetailErrorSerializer(serializers.Serializer):
    """PostHog's bare `{"detail": ...}` error, kept where PostHog's clients read exactly that
    (`PlainDetailError`): the `PlainDetailError` component, closed to other keys so that it and
    `ErrorResponse` never both match one body."""

    detail = serializers.CharField()


# The query parameters documented as "a JSON-encoded array of names" (`excluded_properties`,
# `event_names`, ...) are strings to a client, as in PostHog's schema. Their pattern states the
# form every client sends: a compact JSON array of strings without `\u` escapes (so no NUL, which
# PostgreSQL text cannot hold). The server also reads spaces, numbers and escapes; what matters is
# that any value the pattern admits is one the server accepts, so a generated client (or a fuzzer)
# that follows the schema is never refused.
JSON_STRING_PATTERN = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])*"'


def json_names_pattern(max_items: int | None = None) -> str:
    more = "*" if max_items is None else f"{{0,{max_items - 1}}}"
    return rf"^\[(?:{JSON_STRING_PATTERN}(?:,{JSON_STRING_PATTERN}){more})?\]$"


def json_names_schema(max_items: int | None = None) -> dict:
    return {"type": "string", "pattern": json_names_pattern(max_items)}


PLAIN_DETAIL_NOTE = "Some rules answer PostHog's bare `{\"detail\": ...}` instead (`PlainDetailError`)."

ERROR_RESPONSES = {
    "400": (
        "Invalid input: the first validation error, its field in `attr`. Besides what this schema states, "
        "a write may break a rule that depends on stored data: a name already taken in the project, an id "
        "that names no object of the project, a project or organization the key cannot reach."
    ),
    "401": "No credentials, or an invalid personal API key.",
    "403": "A missing scope, a key limited to other projects, or no access to the project.",
    "404": "The project or the object does not exist (or belongs to another project).",
    "503": "The database is unreachable (`service_unavailable`); retry after the `Retry-After` seconds.",
}


class ScopedAutoSchema(AutoSchema):
    """Each operation lists the scope a personal API key needs, as PostHog's schema does, and
    documents the shared error responses with the `ErrorResponse` component.

    A view answering some errors in PostHog's bare shape says which, per action:
    `plain_detail_statuses = {"count": ("400",)}`; those statuses document either shape.
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # DRF strips a CharField's value before its blank check: a whitespace-only string is a
        # blank one, refused unless allow_blank. Say so where the request would be refused.
        if (direction == "request" and isinstance(field, serializers.CharField) and field.trim_whitespace
                and not field.allow_blank and schema.get("type") == "string"
                and not {"enum", "format", "pattern"} & schema.keys()):
            schema["pattern"] = NOT_BLANK_PATTERN
        return schema

    def get_description(self) -> str:
        """The action's docstring, else the view's OWN docstring: an inherited one (such as
        TeamScopedViewSetMixin's contract) describes no endpoint."""
        action = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        action_doc = get_doc(action) if action is not None else ""
        own_doc = type(self.view).__dict__.get("__doc__")
        return action_doc or (inspect.cleandoc(own_doc) if own_doc else "")

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not getattr(self.view, "scope_object", None):
            return responses  # public views (docs) and capture endpoints have their own errors
        error_ref = self.resolve_serializer(ErrorResponseSerializer, "response").ref
        plain = getattr(self.view, "plain_detail_statuses", {}).get(getattr(self.view, "action", None), ())
        plain_ref = self.resolve_serializer(PlainDetailErrorSerializer, "response").ref if plain else None
        for code, description in ERROR_RESPONSES.items():
            schema = error_ref
            if code in plain:
                schema = {"oneOf": [error_ref, plain_ref]}
                description = f"{description} {PLAIN_DETAIL_NOTE}"
            responses.setdefault(code, {"content": {"application/json": {"schema": schema}}, "description": description})
        return responses

    def get_auth(self):
        super().get_auth()  # registers the securitySchemes components the lists below refer to
        try:
            scopes = required_scopes_for(self.view, getattr(self.view, "action", None), self.method)
        except ImproperlyConfigured:
            scopes = None
        security = [] if scopes is None else [{PERSONAL_API_KEY_SCHEME: scopes}]
        security.append({"cookieAuth": []})
        return security


def preprocess_exclude_aliases(endpoints):
    """Describe each operation once: `/api/environments/...` mirrors `/api/projects/...`."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if not path.startswith(("/api/environments/", "/_bench"))
    ]


# PostgreSQL stores no NUL character in text, so the API refuses one in any string it keeps or
# searches by (`null_characters_not_allowed`). ECMA-262 and Python both read `\u0000`.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# Not blank once stripped (Python's str.strip(): ECMA's `\s` plus \x1c-\x1f and \x85), no NUL.
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000\\x1c-\\x1f\\x85][^\\u0000]*$"
PAGING_MINIMUMS = {"limit": 1, "offset": 0}  # posthog_core.pagination.parse_non_negative, everywhere


def _forbid_nul(schema: dict) -> None:
    """Add NO_NUL_PATTERN to every free string below `schema` (enums, formats and patterns
    already say what they accept)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
        schema["pattern"] = NO_NUL_PATTERN
    for key in ("items", "additionalProperties"):
        _forbid_nul(schema.get(key))
    for child in (schema.get("properties") or {}).values():
        _forbid_nul(child)
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key) or []:
            _forbid_nul(child)


# gunicorn reads a request line of at most 4094 bytes (`limit_request_line`) and answers a longer
# one itself, with an HTML page, before the request reaches the API.
URI_TOO_LONG_RESPONSE = {
    "description": "The request line (method, path and query string) is longer than 4094 bytes; the web "
    "server answers this itself, as an HTML page.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def postprocess_stated_rules(result, generator, request, public):
    """State in the document the input rules every endpoint applies: no NUL in request strings
    (bodies, query and path), the paging bounds, and the web server's limit on the request line.
    Request bodies are the `...Request` components (COMPONENT_SPLIT_REQUEST) and any inline
    request schema."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["responses"].setdefault("414", URI_TOO_LONG_RESPONSE)
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] == "query" and schema.get("type") == "integer" and parameter["name"] in PAGING_MINIMUMS:
                    schema.setdefault("minimum", PAGING_MINIMUMS[parameter["name"]])
                _forbid_nul(schema)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _forbid_nul(media.get("schema"))
    components = result.get("components", {}).get("schemas", {})
    for name, component in components.items():
        if name.endswith("Request"):
            _forbid_nul(component)
    if "PlainDetailError" in components:
        components["PlainDetailError"]["additionalProperties"] = False
    return result
