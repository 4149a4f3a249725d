"""Fast JSON for the hot read paths (`/query/`, `/events/`): orjson, with the stdlib as fallback.

Event rows are mostly property JSON that PostgreSQL already holds as text; `/events/` embeds that
text as is (orjson.Fragment) instead of parsing and re-encoding it. orjson refuses integers
beyond 64 bits, which event properties may hold, so those documents fall back to `json`.
"""

from __future__ import annotations

import json

import orjson
from django.http import HttpResponse


def json_loads(text):
    if not isinstance(text, str | bytes):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def raw_json(text) -> orjson.Fragment | object:
    """JSON text to embed verbatim in an orjson document (anything else passes through)."""
    return orjson.Fragment(text) if isinstance(text, str | bytes) else text


def json_response(data, status: int = 200) -> HttpResponse:
    """orjson's encoding; documents with integers past 64 bits (never fragments) use `json`."""
    try:
        body = orjson.dumps(data)
    except TypeError:
        body = json.dumps(data).encode()
    return HttpResponse(body, status=status, content_type="application/json")
