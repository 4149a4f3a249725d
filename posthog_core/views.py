"""Infrastructure views: health check, JSON 404/500 for API paths, and the benchmark baseline."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from posthog_core.exception_handler import SERVER_ERROR_DETAIL


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "detail": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return JsonResponse({"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"type": "server_error", "code": "error", "detail": SERVER_ERROR_DETAIL, "attr": None}, status=500)


def _bare_team(project) -> dict:
    return {"id": project.id, "organization": str(project.organization_id), "project_id": project.id,
            "api_token": project.api_token, "name": project.name, "timezone": project.timezone, "is_demo": False}


def _bare_organization(organization) -> dict:
    from accounts.serializers import organization_slug

    return {"id": str(organization.id), "name": organization.name, "slug": organization_slug(organization),
            "logo_media_id": None, "membership_level": organization.membership_level,
            "members_can_use_personal_api_keys": True}


def bench_bare_me(request: HttpRequest) -> JsonResponse:
    """Benchmark baseline (served only with POSTHOG_CORE_BENCH=1): the JSON of `/api/users/@me/`
    built by hand after the same key lookup and the same organizations statement, without DRF's
    request cycle or serializers."""
    from accounts.selectors import user_context_get
    from posthog_core.auth import PersonalAPIKeyAuthentication

    auth = PersonalAPIKeyAuthentication()
    token = auth.find_key_in_header(request)
    if token is None:
        return JsonResponse({"detail": "no key"}, status=401)
    user, _, _ = auth.lookup(token, "Authorization header")
    context = user_context_get(user=user)
    organization = context.organization
    return JsonResponse(
        {
            "id": user.id,
            "uuid": str(user.uuid),
            "distinct_id": user.distinct_id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_email_verified": user.is_email_verified,
            "role_at_organization": user.role_at_organization,
            "hedgehog_config": user.hedgehog_config,
            "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
            "is_staff": user.is_staff,
            "team": context.project and _bare_team(context.project),
            "organization": organization and {
                **_bare_organization(organization),
                "created_at": organization.created_at.isoformat().replace("+00:00", "Z"),
                "teams": [_bare_team(project) for project in organization.project_list],
                "projects": [{"id": project.id, "organization_id": str(organization.id), "name": project.name}
                             for project in organization.project_list],
            },
            "organizations": [_bare_organization(org) for org in context.organizations],
        }
    )
