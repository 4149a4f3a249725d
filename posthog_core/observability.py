"""One access-log line and one latency observation per request, tied together by `X-Request-Id`.

The line (logger `posthog_core.access`) names the caller by the personal API key's id or the user's
id, never by the key, and its path has secrets masked: the `personal_api_key` parameter's value
and anything shaped like a key or project token (`phx_`, `phc_`, `pha_`). The histogram is labelled
by the URL pattern that matched, so its series stay bounded whatever paths clients send.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

from posthog_core.log_format import redact_secrets
from posthog_core.metrics import REQUEST_SECONDS
from posthog_core.models import PersonalAPIKey

logger = logging.getLogger("posthog_core.access")

REQUEST_ID_HEADER = "X-Request-Id"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
QUERY_KEY = re.compile(r"(?i)((?:^|[?&;])personal_api_key=)[^&;]*")
NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
UNSAFE = re.compile(r"[^\x21-\x7e]")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id_of(request) -> str:
    """The client's `X-Request-Id` when it is short and plain (so it cannot forge log lines), else a new one."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def redacted_path(request) -> str:
    path = request.get_full_path()
    path = QUERY_KEY.sub(r"\1[redacted]", path)
    # Percent-encode anything outside printable ASCII: a path must not split or spoof the line.
    return UNSAFE.sub(lambda match: "".join(f"%{byte:02X}" for byte in match.group().encode()), redact_secrets(path))


def route_of(request) -> str:
    """`api/projects/{project_id}/insights/{pk}/` for the pattern that matched; `unmatched` otherwise."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "unmatched"
    route = NAMED_GROUP.sub(r"{\1}", match.route)
    route = CONVERTER.sub(r"{\1}", route)
    # What is left of a router's regex: anchors, the optional trailing slash, escaped dots.
    return route.replace("^", "").replace("$", "").replace("/?", "/").replace("\\.", ".")


def caller_fields(request) -> str:
    """`key_id=...` for a personal API key, else `user_id=...` for a user already loaded by this request.

    A user still behind AuthenticationMiddleware's lazy object is left alone: reading it would cost
    a session query on requests that never looked (capture, health).
    """
    auth = getattr(request, "auth", None)
    if isinstance(auth, PersonalAPIKey):
        return f"key_id={auth.pk} user_id={auth.user_id}"
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return "user_id=-"
    if user is not None and user.is_authenticated:
        return f"user_id={user.pk}"
    return "user_id=-"


class RequestObservabilityMiddleware:
    """Outermost middleware, so its duration covers every other middleware as well as the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        method = request.method if request.method in METHODS else "other"
        request.request_id = request_id_of(request)
        response = self.get_response(request)
        seconds = time.perf_counter() - start
        response[REQUEST_ID_HEADER] = request.request_id
        REQUEST_SECONDS.labels(method=method, route=route_of(request), status=str(response.status_code)).observe(
            seconds
        )
        if settings.ACCESS_LOG:
            logger.info(
                'method=%s path="%s" status=%d duration_ms=%.1f request_id=%s %s',
                method, redacted_path(request), response.status_code, seconds * 1000,
                request.request_id, caller_fields(request),
            )
        return response
