"""Response-wide middleware: the serving node's name, open CORS for the capture endpoints (posthog-js
posts events from any web page), and 503s for plain Django views when the database is unreachable."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from posthog_core.exceptions import DatabaseUnavailable, database_unavailable_record, is_database_unavailable

CAPTURE_PREFIXES = ("/batch", "/e", "/capture", "/track", "/i/v0/e")


def is_capture_path(path: str) -> bool:
    trimmed = path.rstrip("/")
    return any(trimmed == prefix for prefix in CAPTURE_PREFIXES)


class CaptureCorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_capture_path(request.path):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=200)
        else:
            response = self.get_response(request)
        origin = request.headers.get("Origin")
        response["Access-Control-Allow-Origin"] = origin or "*"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Content-Type, Content-Encoding"
        )
        response["Access-Control-Max-Age"] = "86400"
        if origin:
            response["Access-Control-Allow-Credentials"] = "true"
            response["Vary"] = "Origin"
        return response


class ServedByMiddleware:
    """`X-Served-By: <node>` on every response, so behind a balancer a client can tell who answered."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.node = settings.NODE_NAME

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Served-By"] = self.node
        return response


class DatabaseUnavailableMiddleware:
    """503 in the error shape for a plain Django view (admin, login, ...) that fails because the
    database is unreachable. DRF views get the same answer from the exception handler; errors
    raised by other middleware (sessions, auth) reach `handler500`, which answers the same way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        database_unavailable_record(exception)
        return database_unavailable_response()


def database_unavailable_response() -> JsonResponse:
    error = DatabaseUnavailable()
    response = JsonResponse(
        {"type": "server_error", "code": error.default_code, "detail": str(error.detail), "attr": None}, status=503
    )
    response["Retry-After"] = str(error.wait)
    return response
