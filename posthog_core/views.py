"""Infrastructure views: health checks, JSON 404/500 for API paths, and the benchmark baseline."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from posthog_core import db_routing
from posthog_core.exception_handler import SERVER_ERROR_DETAIL

PEER_TIMEOUT = 3.0


def node_health() -> tuple[int, dict]:
    """This node: 200 when the primary database answers; the replica's state rides along."""
    body = {"status": "ok", "node": settings.NODE_NAME, "replica": db_routing.health()}
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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return JsonResponse({"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"type": "server_error", "code": "error", "detail": SERVER_ERROR_DETAIL, "attr": None}, status=500)


def bench_bare_me(request: HttpRequest) -> JsonResponse:
    """Benchmark baseline (served only with POSTHOG_CORE_BENCH=1): the JSON of `/api/users/@me/`
    built by hand after the same key lookup, without DRF's request cycle or serializers."""
    from posthog_core.auth import PersonalAPIKeyAuthentication
    from posthog_core.models import User

    auth = PersonalAPIKeyAuthentication()
    token = auth.find_key_in_header(request)
    if token is None:
        return JsonResponse({"detail": "no key"}, status=401)
    key_user, _, _ = auth.lookup(token, "Authorization header")
    user = User.objects.select_related("current_project__organization").get(pk=key_user.pk)
    project = user.current_project
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
            "team": project and {
                "id": project.id,
                "organization": str(project.organization_id),
                "name": project.name,
                "api_token": project.api_token,
            },
            "organization": project and {"id": str(project.organization_id), "name": project.organization.name},
        }
    )
