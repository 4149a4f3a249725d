"""Scopes (§2), project routing (§1.1), the URL-conf scope guard and the mixin's override guard."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver, path
from rest_framework import viewsets
from rest_framework.views import APIView

from accounts.services import personal_api_key_create
from posthog_core.scopes import required_scopes_for
from posthog_core.viewsets import ScopedViewSetMixin, TeamScopedViewSetMixin
from tests.factories import OrganizationFactory, ProjectFactory
from tests.posthog_core.matrix import Route, assert_scope_outcome, matrix_cases

pytestmark = pytest.mark.django_db

PROBE_URLS = "tests.posthog_core.probe_urls"

# Documentation views are public by design: the schema describes the API but holds no data.
PUBLIC_VIEWS = {"SpectacularAPIView", "SpectacularSwaggerView", "SpectacularRedocView"}

ROUTES = [
    Route("get", "/api/projects/{project_id}/activity_log/", "activity_log:read"),
    Route("get", "/api/users/@me/", "user:read"),
    Route("patch", "/api/users/@me/", "user:write", body={"first_name": "Matrix"}),
    Route("get", "/api/projects/", "project:read"),
    Route("get", "/api/projects/{project_id}/", "project:read"),
    Route("get", "/api/personal_api_keys/", "personal_api_key:read"),
    Route("post", "/api/personal_api_keys/", "personal_api_key:write", body={"label": "m", "scopes": ["*"]}),
    Route("get", "/api/personal_api_keys/{key_id}/", "personal_api_key:read"),
    Route("patch", "/api/personal_api_keys/{key_id}/", "personal_api_key:write", body={"label": "renamed"}),
    Route("post", "/api/personal_api_keys/{key_id}/roll/", "personal_api_key:write"),
    Route("delete", "/api/personal_api_keys/{key_id}/", "personal_api_key:write"),
]


def url_of(team, suffix: str = "activity_log/") -> str:
    return f"/api/projects/{team.id}/{suffix}"


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def drf_views(patterns=None):
    for route, callback in walk(get_resolver().url_patterns if patterns is None else patterns):
        cls = getattr(callback, "cls", None)
        if isinstance(cls, type) and issubclass(cls, APIView):
            yield route, cls, getattr(callback, "actions", None) or {}


def unscoped_views(patterns=None) -> list[str]:
    """DRF views a personal API key could reach without a scope check."""
    missing = []
    for route, cls, actions in drf_views(patterns):
        if cls.__name__ in PUBLIC_VIEWS:
            continue
        # Capture endpoints (issue #4) authenticate by the project token in the payload, not by a
        # personal API key or session, so scopes do not apply; they opt out explicitly with
        # `capture_endpoint = True`, and nothing else is skipped.
        if getattr(cls, "capture_endpoint", False) is True:
            continue
        if not issubclass(cls, ScopedViewSetMixin) or not getattr(cls, "scope_object", None):
            missing.append(f"{route} ({cls.__module__}.{cls.__name__})")
            continue
        for action_name in set(actions.values()):
            view = cls(**getattr(getattr(cls, action_name, None), "kwargs", {}))
            required_scopes_for(view, action_name, "GET")  # raises when the view is misconfigured
    return missing


# --- the permission matrix over the foundation's own routes ---------------------------------


@pytest.mark.parametrize(("route", "scopes", "allowed"), matrix_cases(ROUTES))
def test_foundation_routes_permission_matrix(scoped_client, user, team, route, scopes, allowed):
    target = personal_api_key_create(user=user, label="target", scopes=["*"])

    assert_scope_outcome(scoped_client(scopes=scopes), route, allowed, project_id=team.id, key_id=target.id)


# --- scope rules -----------------------------------------------------------------------------


def test_key_missing_scope_returns_403_naming_the_scope(scoped_client, team):
    response = scoped_client(scopes=["insight:read"]).get(url_of(team))

    assert response.status_code == 403
    assert response.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API key missing required scope 'activity_log:read'",
        "attr": None,
    }


def test_key_with_read_scope_cannot_write(scoped_client):
    response = scoped_client(scopes=["personal_api_key:read"]).post(
        "/api/personal_api_keys/", {"label": "x", "scopes": ["*"]}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'personal_api_key:write'"


def test_write_scope_implies_read(scoped_client, team):
    assert scoped_client(scopes=["activity_log:write"]).get(url_of(team)).status_code == 200


def test_null_scopes_legacy_key_passes(scoped_client, team):
    assert scoped_client(scopes=None).get(url_of(team)).status_code == 200


@pytest.mark.urls(PROBE_URLS)
def test_action_without_declared_scope_refuses_star_key(scoped_client, team):
    response = scoped_client(scopes=["*"]).get(url_of(team, "probe/undeclared/"))

    assert response.status_code == 403
    assert response.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "This action does not support Personal API Key access",
        "attr": None,
    }


@pytest.mark.urls(PROBE_URLS)
def test_action_without_declared_scope_is_open_to_sessions(session_client, team):
    assert session_client.get(url_of(team, "probe/undeclared/")).status_code == 200


@pytest.mark.urls(PROBE_URLS)
def test_action_without_declared_scope_is_open_to_legacy_keys(scoped_client, team):
    assert scoped_client(scopes=[]).get(url_of(team, "probe/undeclared/")).status_code == 200


@pytest.mark.urls(PROBE_URLS)
def test_action_declared_scope_replaces_the_viewsets_scope(scoped_client, team):
    response = scoped_client(scopes=["activity_log:write"]).get(url_of(team, "probe/declared/"))

    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'insight:read'"


@pytest.mark.urls(PROBE_URLS)
def test_action_declared_scope_is_enough(scoped_client, team):
    assert scoped_client(scopes=["insight:read"]).get(url_of(team, "probe/declared/")).status_code == 200


def test_key_scoped_to_another_team_returns_403(scoped_client, user, team, organization):
    sibling = ProjectFactory(organization=organization)

    response = scoped_client(scopes=["*"], scoped_teams=[sibling.id]).get(url_of(team))

    assert response.status_code == 403
    assert response.json()["detail"] == f"API key does not have access to the requested project: ID {team.id}."


def test_key_scoped_to_its_team_passes(scoped_client, team):
    assert scoped_client(scopes=["*"], scoped_teams=[team.id]).get(url_of(team)).status_code == 200


def test_key_scoped_to_another_organization_returns_403(user, team, api_client):
    other_org = OrganizationFactory()
    key = personal_api_key_create(user=user, label="org", scopes=["*"], scoped_organizations=[str(other_org.id)])

    response = api_client.get(url_of(team), HTTP_AUTHORIZATION=f"Bearer {key._plain_value}")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"API key does not have access to the requested organization: ID {team.organization_id}."
    )


def test_star_key_scoped_to_team_p_cannot_reach_project_q(scoped_client, team, other_team):
    """Reference case 6."""
    response = scoped_client(scopes=["*"], scoped_teams=[team.id]).get(url_of(other_team))

    assert response.status_code == 403


def test_session_user_is_not_limited_by_scopes(session_client, team):
    assert session_client.get(url_of(team)).status_code == 200


# --- project routing -------------------------------------------------------------------------


def test_non_member_project_returns_403(session_client, other_team):
    """Reference case 8."""
    response = session_client.get(url_of(other_team))

    assert response.status_code == 403
    assert response.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "You don't have access to the project.",
        "attr": None,
    }


def test_non_member_project_returns_403_to_a_star_key(scoped_client, other_team):
    response = scoped_client(scopes=["*"]).get(url_of(other_team))

    assert response.status_code == 403
    assert response.json()["detail"] == "You don't have access to the project."


@pytest.mark.parametrize("project_id", ["999999999", "abc", "1.5", "-1", "9" * 40, "%E2%82%AC", "0x1"])
def test_unknown_or_malformed_project_returns_404(session_client, project_id):
    """Reference case 9."""
    response = session_client.get(f"/api/projects/{project_id}/activity_log/")

    assert response.status_code == 404
    assert response.json() == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Project not found.",
        "attr": None,
    }


def test_current_project_alias_answers_like_the_project_id(session_client, team):
    """Reference case 7."""
    from activity_logs.services import activity_log_create

    activity_log_create(team=team, user=None, scope="Probe", activity="created", item_id=1)

    current = session_client.get("/api/projects/@current/activity_log/")

    assert current.status_code == 200
    assert current.json() == session_client.get(url_of(team)).json()
    assert current.json()["count"] == 1


def test_current_project_without_credentials_returns_401(api_client):
    response = api_client.get("/api/projects/@current/activity_log/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_current_project_of_user_without_one_returns_404(session_client, user):
    user.current_project = None
    user.save(update_fields=["current_project"])

    response = session_client.get("/api/projects/@current/activity_log/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Project not found."


def test_environments_alias_serves_the_same_answer(session_client, team):
    from activity_logs.services import activity_log_create

    activity_log_create(team=team, user=None, scope="Probe", activity="created", item_id=1)

    response = session_client.get(f"/api/environments/{team.id}/activity_log/")

    assert response.status_code == 200
    assert response.json() == session_client.get(url_of(team)).json()


def test_environments_alias_applies_membership(session_client, other_team):
    assert session_client.get(f"/api/environments/{other_team.id}/activity_log/").status_code == 403


# --- guards ----------------------------------------------------------------------------------


def test_every_api_view_in_the_url_conf_declares_a_scope_object():
    missing = unscoped_views()

    assert not missing, "API views without scope_object:\n" + "\n".join(sorted(missing))


def test_url_conf_guard_flags_a_bare_view_and_skips_only_capture_endpoints():
    class Bare(APIView):
        pass

    class Capture(APIView):
        capture_endpoint = True

    class NotReallyCapture(APIView):
        capture_endpoint = "yes"

    patterns = [path("bare/", Bare.as_view()), path("e/", Capture.as_view()), path("x/", NotReallyCapture.as_view())]

    assert [entry.split(" ")[0] for entry in unscoped_views(patterns)] == ["bare/", "x/"]


def test_url_conf_guard_sees_the_foundation_views():
    names = {cls.__name__ for _, cls, _ in drf_views()}

    assert {"ActivityLogViewSet", "UserViewSet", "ProjectViewSet", "PersonalAPIKeyViewSet"} <= names


def test_scope_objects_are_all_known():
    from posthog_core.scopes import SCOPE_OBJECTS

    unknown = {
        f"{cls.__name__}: {cls.scope_object}"
        for _, cls, _ in drf_views()
        if getattr(cls, "scope_object", None) and cls.scope_object not in SCOPE_OBJECTS
    }
    assert not unknown


def test_view_without_scope_object_fails_loudly():
    class NoScope(TeamScopedViewSetMixin, viewsets.GenericViewSet):
        pass

    with pytest.raises(ImproperlyConfigured, match="scope_object"):
        required_scopes_for(NoScope(), "list", "GET")


@pytest.mark.parametrize("method", ["get_queryset", "get_permissions"])
def test_team_scoped_subclass_overriding_a_guarded_method_is_rejected(method):
    with pytest.raises(ImproperlyConfigured, match=method):
        type("Sneaky", (TeamScopedViewSetMixin, viewsets.GenericViewSet), {method: lambda self: None})


def test_scoped_subclass_overriding_get_permissions_is_rejected():
    with pytest.raises(ImproperlyConfigured, match="get_permissions"):
        type("Sneaky", (ScopedViewSetMixin, viewsets.GenericViewSet), {"get_permissions": lambda self: []})


def test_team_scoped_subclass_using_safely_get_queryset_is_accepted():
    cls = type("Fine", (TeamScopedViewSetMixin, viewsets.GenericViewSet), {"safely_get_queryset": lambda s, q: q})

    assert issubclass(cls, TeamScopedViewSetMixin)


@pytest.mark.parametrize(
    "path", ["/api/users/@me", "/api/projects", "/api/personal_api_keys", "/api/projects/{id}/activity_log"]
)
def test_trailing_slash_is_optional(session_client, team, path):
    assert session_client.get(path.format(id=team.id)).status_code == 200
