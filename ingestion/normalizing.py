"""A decoded capture payload to a validated, normalised batch: the project token, and per event
its uuid, name, distinct_id, skew-corrected timestamp and sanitised properties. Pure: no database."""

from __future__ import annotations

import re
import uuid as uuid_module
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from rest_framework.exceptions import ErrorDetail, ValidationError

from posthog_core.utils import uuid7

MAX_PROPERTY_DEPTH = 64
MAX_EVENT_NAME_CHARS = 400  # the events table's column
MAX_DISTINCT_ID_CHARS = 200  # PostHog truncates longer ones
# PostHog replaces timestamps more than 23 hours ahead of the server with the ingestion time.
MAX_FUTURE_SKEW = timedelta(hours=23)
TOKEN_KEYS = ("api_key", "token", "$token")
NUL, REPLACEMENT = "\x00", "\ufffd"
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def batch_error(index: int | None, field: str, message: str, code: str = "invalid_input") -> ValidationError:
    """A 400 whose `attr` names the failing event (`batch__3__distinct_id`) and whose detail says which."""
    if index is None:
        return ValidationError({field: [ErrorDetail(message, code=code)]})
    detail = ErrorDetail(f"Event {index}: {message}", code=code)
    return ValidationError({"batch": {str(index): {field: [detail]}}})


def capture_events_extract(payload: Any) -> tuple[list[Any], dict[str, Any]]:
    """The event list and the batch-level fields from one event, a list, or `{"batch": [...]}`."""
    if isinstance(payload, list):
        events, envelope = payload, {}
    elif isinstance(payload, dict) and "batch" in payload:
        events, envelope = payload["batch"], payload
        if not isinstance(events, list):
            raise batch_error(None, "batch", "`batch` must be a list of events.")
    elif isinstance(payload, dict):
        events, envelope = [payload], payload
    else:
        raise batch_error(None, "batch", "The payload must be an event, a list of events or {\"batch\": [...]}.")
    if not events:
        raise batch_error(None, "batch", "The batch contains no events.", code="empty_batch")
    return events, envelope


def event_token(event: Any) -> str | None:
    if type(event) is not dict:
        return None
    value = event.get("api_key") or event.get("token") or event.get("$token")
    if not value:
        properties = event.get("properties")
        value = properties.get("token") if type(properties) is dict else None
    return value if type(value) is str and value else None


def capture_token_resolve(*, events: list[Any], envelope: dict[str, Any], params: dict[str, str]) -> str | None:
    """The project token from the body, the query/form parameters, or the events themselves.

    Every event that names a token must name the same one: otherwise one project's events could
    ride in on another project's token.
    """
    batch_token = next(
        (value for key in TOKEN_KEYS if isinstance(value := envelope.get(key), str) and value), None
    ) or params.get("api_key") or params.get("token")
    token = batch_token
    for index, event in enumerate(events):
        found = event_token(event)
        if found is None:
            continue
        if token is None:
            token = found
        elif found != token:
            raise batch_error(index, "token", "The batch mixes several project tokens.", code="multiple_tokens")
    return token or None


def depth_check(value: dict | list, depth: int, index: int) -> None:
    """Raise past MAX_PROPERTY_DEPTH levels of nested objects and arrays."""
    if depth > MAX_PROPERTY_DEPTH:
        raise batch_error(index, "properties", f"Properties are nested deeper than {MAX_PROPERTY_DEPTH} levels.")
    for item in value.values() if type(value) is dict else value:
        if type(item) is dict or type(item) is list:
            depth_check(item, depth + 1, index)


def properties_sanitize(properties: dict, index: int) -> dict:
    """Depth-checked properties with NUL replaced, scanning the serialised text first: this runs
    for every event and almost none needs the slow paths (C-speed byte searches decide)."""
    try:
        text = orjson.dumps(properties)
    except orjson.JSONEncodeError as exc:  # orjson's own recursion limit (255) is past ours
        raise batch_error(index, "properties", f"Properties are nested deeper than {MAX_PROPERTY_DEPTH} levels.") from exc
    # Each level needs a bracket, so few brackets (strings may add some) cannot be too deep.
    if text.count(b"{") + text.count(b"[") > MAX_PROPERTY_DEPTH:
        depth_check(properties, 1, index)
    return clean(properties) if b"\\u0000" in text else properties


def clean(value: Any) -> Any:
    """A copy with NUL replaced by U+FFFD in strings and keys: PostgreSQL rejects NUL in text and jsonb."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT)
    if isinstance(value, dict):
        return {key.replace(NUL, REPLACEMENT): clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def parse_datetime(value: Any) -> datetime | None:
    """ISO-8601 strings (naive means UTC) or epoch numbers (seconds, as `$time` is sent)."""
    try:
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.strip())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = datetime.fromtimestamp(value, tz=UTC)
        else:
            return None
        # In UTC here: an offset that carries year 1 back into 1 BC would be stored (PostgreSQL
        # takes it) as a timestamp no reader can load again.
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def sent_at_resolve(envelope: dict[str, Any], params: dict[str, str]) -> datetime | None:
    """`sent_at` from the body, else posthog-js's `_` query parameter (milliseconds)."""
    sent_at = parse_datetime(envelope.get("sent_at"))
    millis = params.get("_", "")
    if sent_at is None and millis.isdigit() and len(millis) <= 16:
        sent_at = parse_datetime(int(millis) / 1000)
    return sent_at


def event_timestamp(event: dict[str, Any], properties: dict[str, Any], sent_at: datetime | None, now: datetime) -> datetime:
    """PostHog's rule: with both `timestamp` and `sent_at`, shift by the client's clock skew
    (now + timestamp - sent_at); else `offset` ms before now; else `timestamp`; else now.
    Invalid or out-of-range values, and ones over 23 h in the future, become now."""
    raw = event.get("timestamp")
    if raw is None:
        # Legacy SDKs send `$time` as epoch seconds; `timestamp` itself is always a string.
        timestamp = parse_datetime(event.get("$time", properties.get("$time")))
    else:
        timestamp = parse_datetime(raw) if isinstance(raw, str) else None
    offset = event.get("offset")
    try:
        if timestamp is not None and sent_at is not None and not properties.get("$ignore_sent_at"):
            result = now + (timestamp - sent_at)
        elif timestamp is None and isinstance(offset, int | float) and not isinstance(offset, bool):
            result = now - timedelta(milliseconds=offset)
        else:
            result = timestamp or now
    except OverflowError:
        return now
    return now if result - now > MAX_FUTURE_SKEW else result


def event_uuid(value: Any, index: int) -> str:
    """The canonical lowercase text form (PostgreSQL casts it; sorting it sorts the UUIDs)."""
    if value is None or value == "":
        return str(uuid7())
    if type(value) is str and _CANONICAL_UUID.match(value):
        return value.lower()  # uuid.UUID() is the slowest step per event otherwise
    try:
        return str(uuid_module.UUID(str(value)))
    except ValueError as exc:
        raise batch_error(index, "uuid", "`uuid` is not a valid UUID.") from exc


def event_distinct_id(event: dict[str, Any], properties: dict[str, Any], index: int) -> str:
    value = event.get("distinct_id", properties.get("distinct_id"))
    if value is None:
        value = event.get("$distinct_id", properties.get("$distinct_id"))
    if isinstance(value, bool) or not isinstance(value, str | int | float) or str(value).strip() == "":
        raise batch_error(index, "distinct_id", "The event has no distinct_id.", code="required")
    return str(value)[:MAX_DISTINCT_ID_CHARS].replace(NUL, REPLACEMENT)


def event_name(event: dict[str, Any], index: int) -> str:
    name = event.get("event")
    if not isinstance(name, str) or not name.strip():
        raise batch_error(index, "event", "The event has no name.", code="required")
    if len(name) > MAX_EVENT_NAME_CHARS:
        raise batch_error(index, "event", f"The event name is longer than {MAX_EVENT_NAME_CHARS} characters.")
    return name.replace(NUL, REPLACEMENT)


def capture_event_normalize(event: Any, *, index: int, sent_at: datetime | None, now: datetime) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise batch_error(index, "event", "Each event must be a JSON object.")
    properties = event.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise batch_error(index, "properties", "`properties` must be a JSON object.")
    # Person updates sent beside the properties (older SDKs) travel inside them, as in PostHog.
    for key in ("$set", "$set_once"):
        if key in event and key not in properties:
            properties = {**properties, key: event[key]}
    return {
        "uuid": event_uuid(event.get("uuid"), index),
        "event": event_name(event, index),
        "distinct_id": event_distinct_id(event, properties, index),
        "timestamp": event_timestamp(event, properties, sent_at, now),
        "properties": properties_sanitize(properties, index),
    }


def capture_batch_normalize(
    *, events: list[Any], envelope: dict[str, Any], params: dict[str, str], now: datetime
) -> list[dict[str, Any]]:
    """Validate every event (the batch is all-or-nothing) and return them normalised."""
    sent_at = sent_at_resolve(envelope, params)
    return [
        capture_event_normalize(event, index=index, sent_at=sent_at, now=now) for index, event in enumerate(events)
    ]
