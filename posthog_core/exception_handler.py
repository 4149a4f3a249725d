"""The one error shape, `{"type","code","detail","attr"}`, for every error a view raises."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from posthog_core.exceptions import (
    DatabaseUnavailable,
    PayloadTooLarge,
    PlainDetailError,
    database_unavailable_record,
    is_database_unavailable,
)
from posthog_core.metrics import record_database_error

logger = logging.getLogger("posthog_core.errors")

SERVER_ERROR_DETAIL = "A server error occurred."


def error_type(exc: Exception) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "validation_error"
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated | exceptions.PermissionDenied):
        return "authentication_error"
    if isinstance(exc, exceptions.Throttled):
        return "throttled_error"
    if isinstance(exc, exceptions.APIException) and exc.status_code < 500:
        return "invalid_request"
    return "server_error"


def first_error(detail, attr: list[str] | None = None) -> tuple[object, list[str]]:
    """Walk nested serializer errors to the first leaf, collecting the field path for `attr`."""
    attr = attr or []
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = attr if key in ("non_field_errors", "__all__") else [*attr, str(key)]
            return first_error(value, path)
        return detail, attr
    if isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict) and item:
                return first_error(item, [*attr, str(index)])
            if isinstance(item, list) and item:
                return first_error(item, attr)
            if not isinstance(item, dict | list):
                return item, attr
    return detail, attr


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        leaf, path = first_error(exc.detail)
        code = getattr(leaf, "code", None) or "invalid"
        return {
            "type": "validation_error",
            "code": "invalid_input" if code == "invalid" else code,
            "detail": str(leaf),
            "attr": "__".join(path) or None,
        }
    detail = exc.detail
    if isinstance(detail, list | dict):
        detail, _ = first_error(detail)
    code = getattr(detail, "code", None) or exc.default_code
    return {"type": error_type(exc), "code": code, "detail": str(detail), "attr": None}


def convert_exception(exc: Exception) -> Exception:
    if is_database_unavailable(exc):
        logger.warning("Database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        database_unavailable_record(exc)
        return DatabaseUnavailable()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        # A body over DATA_UPLOAD_MAX_MEMORY_SIZE, met when DRF first reads request.data.
        return PayloadTooLarge()
    if isinstance(exc, DataError):
        # PostgreSQL refused a value the request supplied (a NUL byte in a URL id, a number out of
        # a column's range): the client's input, so a 400 rather than a 500. Logged for the rare
        # case where the bad value came from our own code.
        logger.warning("Database refused a value: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return exceptions.ValidationError("The database cannot store or search for a value in this request.")
    return exc


def exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, DatabaseError) and not is_database_unavailable(exc):
        record_database_error(exc)  # unavailability is counted where it is converted to a 503
    exc = convert_exception(exc)
    if isinstance(exc, PlainDetailError):
        return Response({"detail": str(exc.detail)}, status=exc.status_code)
    if not isinstance(exc, exceptions.APIException):
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "view", exc_info=exc)
        return Response(
            {"type": "server_error", "code": "error", "detail": SERVER_ERROR_DETAIL, "attr": None}, status=500
        )
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return Response(error_body(exc), status=exc.status_code, headers=headers)
