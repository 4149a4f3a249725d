"""Domain errors with stable codes. Services raise these; the exception handler shapes them."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


class PlainDetailError(APIException):
    """An error PostHog answers with a bare `{"detail": ...}` body (by_name, file-system actions).

    The exception handler renders these without the type/code/attr envelope on purpose: PostHog's
    clients read exactly that shape from these endpoints.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_input"
    default_detail = "Invalid request."

    def __init__(self, detail: str, status_code: int = status.HTTP_400_BAD_REQUEST):
        super().__init__(detail)
        self.status_code = status_code


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "Request body is too large."


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "Service temporarily unavailable, try again later."
