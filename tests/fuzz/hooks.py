"""schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS=tests.fuzz.hooks).

The fuzzer holds one personal API key. `personal_api_keys/{id}/` lets a key delete, roll or
re-scope itself; a run that did so would answer 401 for the rest of its time box and hide every
other finding. The stateful phase reads real ids from list answers, so a random id is not
enough protection: every call is checked just before it is sent, whichever phase made it.
"""

from __future__ import annotations

import os

import schemathesis

PROTECTED_KEY_ENV = "FUZZ_PROTECTED_KEY_ID"
KEY_PATH_PREFIX = "/api/personal_api_keys/{id}"
# A well-formed id that no key has: the call still runs (and is checked) but answers 404.
SUBSTITUTE_KEY_ID = "fuzz-protected-key"


def protect_key(path: str, path_parameters: dict | None, protected_id: str) -> dict | None:
    """The path parameters to send: the protected key's id is swapped for one that matches nothing."""
    if not protected_id or not path.startswith(KEY_PATH_PREFIX) or not path_parameters:
        return path_parameters
    if str(path_parameters.get("id", "")).strip() == protected_id:
        return {**path_parameters, "id": SUBSTITUTE_KEY_ID}
    return path_parameters


PROPERTY_DEFINITIONS_PATH = "/api/projects/{project_id}/property_definitions/"


def combine_property_definition_parameters(query: dict | None) -> dict | None:
    """The list's parameters made to obey the rules that tie them together, which OpenAPI cannot
    state and the parameters' descriptions do: `group_type_index` is required with `type=group`
    and refused with any other type; `event_names` only goes with `type=event`. Every value is
    still the generated one; only a combination the API documents as a 400 is not sent."""
    if query is None:
        return None
    query = dict(query)
    kind = query.get("type", "event")
    if kind == "group":
        query.setdefault("group_type_index", 0)
    else:
        query.pop("group_type_index", None)
    if kind != "event":
        query.pop("event_names", None)
    return query


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    case.path_parameters = protect_key(case.operation.path, case.path_parameters, os.environ.get(PROTECTED_KEY_ENV, ""))
    if case.operation.path == PROPERTY_DEFINITIONS_PATH and case.method.upper() == "GET":
        case.query = combine_property_definition_parameters(case.query)
