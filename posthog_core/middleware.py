"""Response-wide middleware: the serving node's name, and open CORS for the capture endpoints
only (posthog-js posts events from any web page)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse

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
