"""PostHog's capture endpoints (/batch/, /e/, /capture/, /track/, /i/v0/e/): project-token auth,
no session, no CSRF; every error leaves through the project's exception handler in the one shape."""

from __future__ import annotations

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.decoding import capture_request_decode
from ingestion.services import capture_batch_ingest


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Always answer JSON: browsers and SDKs send all kinds of Accept headers to capture."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CaptureView(APIView):
    # The URL-conf guard skips views marked as capture endpoints: they are authenticated by the
    # project token in the payload, not by personal API key scopes.
    capture_endpoint = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []  # the body is read and decoded by ingestion.decoding
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation
    throttle_classes: list = []
    # Capture is not part of PostHog's OpenAPI schema either.
    schema = None

    def get_authenticate_header(self, request):
        # Without this DRF would turn 401 (no or unknown project token) into 403.
        return 'Bearer realm="capture"'

    def post(self, request, *args, **kwargs):
        decoded = capture_request_decode(request._request)
        capture_batch_ingest(payload=decoded.payload, params=decoded.params)
        return Response({"status": 1})

    def get(self, request, *args, **kwargs):
        return self.post(request, *args, **kwargs)
