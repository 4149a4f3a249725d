"""Infrastructure views: health checks, JSON 404/500 for API paths, and the benchmark baseline."""

from __future__ import annotations

import hmac
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from ingestion.spool import spool_depth
from posthog_core import db_routing
from posthog_core.exception_handler import SERVER_ERROR_DETAIL
from posthog_core.exceptions import database_unavailable_record, is_database_unavailable
from posthog_core.metrics import exposition
from posthog_core.middleware import database_unavailable_response

PEER_TIMEOUT = 3.0


def node_health() -> tuple[int, dict]:
    """This node: 200 when the primary database answers; the replica's state and the capture
    spool's depth ride along."""
    batches, size = spool_depth()
    body = {"status": "ok", "node": settings.NODE_NAME, "replica": db_routing.health(),
            "spool": {"batches": batches, "bytes": size}}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return 503, {**body, "status": "error", "detail": "database unavailable"}
    return 200, body


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    status, body = node_health()
    return JsonResponse(body, status=status)


def _peer_health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/_health", timeout=PEER_TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read())
        except ValueError:
            return error.code, {"status": "error"}
    except (OSError, ValueError) as error:
        return 503, {"status": "error", "detail": f"unreachable: {error}"}


def _storage_health() -> dict:
    storage = storages["default"]
    try:
        storage.exists("_health")  # a HEAD on S3: answers whether or not the key exists
    except Exception as error:  # noqa: BLE001 - any failure of the store is "down", with its reason
        return {"status": "error", "backend": type(storage).__name__, "detail": str(error)[:200]}
    return {"status": "ok", "backend": type(storage).__name__}


@require_GET
def cluster_health(request: HttpRequest) -> JsonResponse:
    """The whole deployment as seen from this node (the balancer's `/_health`): every web node of
    POSTHOG_CORE_CLUSTER_NODES with its spool depth, the replica's lag, the file store. 200 only
    when every part is up."""
    peers = {name: url for name, url in settings.CLUSTER_NODES.items() if name != settings.NODE_NAME}
    with ThreadPoolExecutor(max_workers=max(1, len(peers))) as pool:
        futures = {name: pool.submit(_peer_health, url) for name, url in peers.items()}
        results = {settings.NODE_NAME: node_health(), **{name: future.result() for name, future in futures.items()}}
    nodes = {name: {"status": "ok" if status == 200 else "error", "spool": body.get("spool"),
                    **({"detail": body["detail"]} if "detail" in body else {})}
             for name, (status, body) in sorted(results.items())}
    replica, storage = db_routing.health(), _storage_health()
    parts_ok = [node["status"] == "ok" for node in nodes.values()] + [storage["status"] == "ok"]
    if replica is not None:
        parts_ok.append(replica["status"] == "ok")
    body = {"status": "ok" if all(parts_ok) else "error", "served_by": settings.NODE_NAME, "nodes": nodes,
            "replica": replica, "replica_lag_seconds": replica and replica["lag_seconds"], "storage": storage}
    return JsonResponse(body, status=200 if all(parts_ok) else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, only when `METRICS_TOKEN` is set and sent as `Authorization: Bearer <token>`.

    Any other request gets the same 404 as an unknown path: the endpoint does not advertise itself.
    A token rather than loopback-only: behind a reverse proxy on the same host every request comes
    from 127.0.0.1, so an address check would make the metrics public.
    """
    token = settings.METRICS_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer" or not hmac.compare_digest(offered.strip().encode(), token.encode()):
        return not_found(request)
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return JsonResponse({"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block, so the exception is still at hand: a database
    # outage met in middleware (sessions, auth) is a 503 too, not a 500.
    exception = sys.exc_info()[1]
    if exception is not None and is_database_unavailable(exception):
        database_unavailable_record(exception)
        return database_unavailable_response()
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
