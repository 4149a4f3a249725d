"""Domain errors with stable codes. Services raise these; the exception handler shapes them."""

from __future__ import annotations

import psycopg
from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import APIException

from posthog_core.metrics import record_database_error


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


# Long enough for a database restart or failover to finish, short enough that SDK retries resume soon.
DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(ServiceUnavailable):
    """The database could not be reached (at connect or mid-query): the request may succeed later,
    so it answers 503 with Retry-After instead of a 500."""

    default_detail = "The database is unavailable, try again shortly."

    def __init__(self, detail: str | None = None):
        super().__init__(detail)
        self.wait = DATABASE_RETRY_AFTER_SECONDS


def is_database_unavailable(exc: BaseException) -> bool:
    """Errors that mean "no usable database connection", not "bad query or bad data".

    Django wraps psycopg's errors in its own classes (OperationalError: refused connect, server
    gone mid-query, admin shutdown; InterfaceError: a connection already closed). A raw psycopg
    error can reach us from code that talks to psycopg directly (binary cursors, COPY).
    """
    return isinstance(exc, OperationalError | InterfaceError | psycopg.OperationalError | psycopg.InterfaceError)


def database_unavailable_record(exc: BaseException) -> None:
    record_database_error(exc)
