"""A reusable permission matrix: which personal-API-key scopes open which route.

Other apps' tests parametrise over it:

    from tests.posthog_core.matrix import Route, matrix_cases, assert_scope_outcome

    ROUTES = [Route("get", "/api/projects/{project_id}/exports/", "export:read"), ...]

    @pytest.mark.parametrize(("route", "scopes", "allowed"), matrix_cases(ROUTES))
    def test_exports_permission_matrix(scoped_client, team, route, scopes, allowed):
        assert_scope_outcome(scoped_client(scopes=scopes), route, allowed, project_id=team.id, id=...)

"Allowed" means the scope check passed: any answer but 401/403 (a 404 for a made-up id or a 400
for an empty body still proves the key got through).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Route:
    method: str
    url: str  # a template: {project_id}, {id}, ...
    scope: str | None  # the scope the action needs; None = closed to personal API keys
    body: dict = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}"


def _other_object(scope: str) -> str:
    obj = scope.split(":")[0]
    return "insight" if obj != "insight" else "dashboard"


def matrix_cases(routes: list[Route]) -> list:
    """(route, scopes, allowed) for: the exact scope, its write sibling, `*`, a legacy key with
    no scopes, an unrelated object's write scope, and (for write routes) the read scope only."""
    cases = []
    for route in routes:
        if route.scope is None:
            cases += [
                pytest.param(route, ["*"], False, id=f"{route}-star-not-supported"),
                pytest.param(route, [], True, id=f"{route}-legacy"),
            ]
            continue
        obj, _, level = route.scope.partition(":")
        cases += [
            pytest.param(route, [route.scope], True, id=f"{route}-{route.scope}"),
            pytest.param(route, [f"{obj}:write"], True, id=f"{route}-{obj}:write"),
            pytest.param(route, ["*"], True, id=f"{route}-star"),
            pytest.param(route, [], True, id=f"{route}-legacy"),
            pytest.param(route, [f"{_other_object(route.scope)}:write"], False, id=f"{route}-unrelated"),
        ]
        if level == "write":
            cases.append(pytest.param(route, [f"{obj}:read"], False, id=f"{route}-{obj}:read-only"))
    return cases


def assert_scope_outcome(client, route: Route, allowed: bool, **url_kwargs) -> None:
    response = getattr(client, route.method)(route.url.format(**url_kwargs), route.body, format="json")
    if allowed:
        assert response.status_code not in (401, 403), (str(route), response.status_code, response.content)
        return
    assert response.status_code == 403, (str(route), response.status_code, response.content)
    body = response.json()
    assert body["type"] == "authentication_error"
    assert body["code"] == "permission_denied"
    if route.scope is None:
        assert body["detail"] == "This action does not support Personal API Key access"
    else:
        assert body["detail"].startswith("API key missing required scope")
