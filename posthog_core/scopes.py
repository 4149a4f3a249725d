"""API scopes: the objects a personal API key can be scoped to, and which scope an action needs."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

SCOPE_OBJECTS = (
    "activity_log",
    "dashboard",
    "event_definition",
    "export",
    "file_system",
    "file_system_shortcut",
    "heatmap",
    "insight",
    "organization",
    "personal_api_key",
    "project",
    "property_definition",
    "query",
    "session_recording",
    "user",
)

VALID_SCOPES = frozenset({"*"} | {f"{obj}:{level}" for obj in SCOPE_OBJECTS for level in ("read", "write")})

READ_ACTIONS = frozenset({"list", "retrieve"})
WRITE_ACTIONS = frozenset({"create", "update", "partial_update", "patch", "destroy"})


def required_scopes_for(view, action: str | None, method: str) -> list[str] | None:
    """The scopes an action needs, or None when the action is not open to personal API keys.

    Order: scopes declared on the action (`@action(required_scopes=[...])`; an empty list opens the
    action to every key, as PostHog opens a key's own `@current`), then the view's
    `scope_object` with `:write` for write actions (the default five plus
    `scope_object_write_actions`) or `:read` for read actions (list, retrieve,
    `scope_object_read_actions`, or an OPTIONS request).
    """
    scope_object = getattr(view, "scope_object", None)
    if not scope_object:
        raise ImproperlyConfigured(
            f"{type(view).__name__} declares no scope_object: add `scope_object = \"<object>\"` "
            "(one of posthog_core.scopes.SCOPE_OBJECTS) so personal API keys can be checked."
        )
    declared = getattr(view, "required_scopes", None)
    if declared is not None:
        return list(declared)  # `[]`: open to every key, whatever its scopes
    if action in WRITE_ACTIONS or action in getattr(view, "scope_object_write_actions", ()):
        return [f"{scope_object}:write"]
    if action in READ_ACTIONS or action in getattr(view, "scope_object_read_actions", ()) or method == "OPTIONS":
        return [f"{scope_object}:read"]
    return None


def scopes_grant(held: list[str], required: str) -> bool:
    """`*` grants everything, and `X:write` grants `X:read`."""
    if "*" in held or required in held:
        return True
    obj, _, level = required.partition(":")
    return level == "read" and f"{obj}:write" in held


def invalid_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in VALID_SCOPES]
