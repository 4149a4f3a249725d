"""Fast JSON for the hot read paths (`/query/`, `/events/`): orjson, with the stdlib as fallback.

Event rows are mostly property JSON that PostgreSQL already holds as text; `/events/` embeds that
text as is (orjson.Fragment) instead of parsing and re-encoding it. Event properties may hold
integers beyond 64 bits: orjson refuses to write them and reads them as floats (losing digits), so
such documents go through `json` both ways.
"""

from __future__ import annotations

import json
import re

import orjson
from django.http import HttpResponse

# 20 digits in a row: possibly an integer past 64 bits (at most 19 digits signed, 20 unsigned).
_LONG_DIGITS_TEXT, _LONG_DIGITS_BYTES = re.compile(r"\d{20}"), re.compile(rb"\d{20}")


def json_loads(text):
    if not isinstance(text, str | bytes):
        return text
    if (_LONG_DIGITS_TEXT if isinstance(text, str) else _LONG_DIGITS_BYTES).search(text):
        return json.loads(text)
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
