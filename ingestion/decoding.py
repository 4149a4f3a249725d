"""Capture request bodies to JSON: every transport PostHog's SDKs have used (plain JSON, gzip with
or without a hint, base64, form-encoded `data=`, lz-string), with size caps enforced while reading
and decompressing so a compressed bomb never reaches memory."""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from django.http import HttpRequest
from rest_framework.exceptions import ParseError

from ingestion import lzstring
from posthog_core.exceptions import PayloadTooLarge

MAX_COMPRESSED_BYTES = 20 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024
# Request parameters that may travel in the query string or a form body.
PARAM_NAMES = ("api_key", "token", "compression", "_", "ver")


class MalformedData(ParseError):
    default_code = "invalid_payload"
    default_detail = "Malformed request data."


@dataclass
class CaptureRequest:
    """A decoded capture request: the JSON payload plus the query/form parameters."""

    payload: Any
    params: dict[str, str] = field(default_factory=dict)


def request_body_read(request: HttpRequest, *, limit: int = MAX_COMPRESSED_BYTES) -> bytes:
    """Read at most `limit` bytes of the body, refusing larger ones before reading them.

    NOTE: `request.body` would apply DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), far below a normal
    SDK batch, so the stream is read directly.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    return body


def gzip_decompress(data: bytes, *, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Gunzip in bounded steps; raises PayloadTooLarge as soon as the output passes `limit`."""
    parts, total = [], 0
    pending = data
    while pending:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            while True:
                chunk = decompressor.decompress(pending, _CHUNK)
                total += len(chunk)
                if total > limit:
                    raise PayloadTooLarge(f"Decompressed request body is larger than {limit} bytes.")
                parts.append(chunk)
                pending = decompressor.unconsumed_tail
                if decompressor.eof or (not chunk and not pending):
                    break
        except zlib.error as exc:
            raise MalformedData("Invalid gzip data.") from exc
        if not decompressor.eof:
            raise MalformedData("Invalid gzip data: the stream is truncated.")
        # Concatenated gzip members are one stream (as gzip(1) reads them).
        pending = decompressor.unused_data
    return b"".join(parts)


def base64_decode(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    # Form encoding turns `+` into spaces; SDKs also drop padding or use the URL-safe alphabet.
    cleaned = text.strip().replace(" ", "+").replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedData("Invalid base64 data.") from exc


def lz64_decode(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    try:
        return lzstring.decompress_from_base64(text, max_chars=MAX_DECOMPRESSED_BYTES).encode()
    except lzstring.LZStringTooLarge as exc:
        raise PayloadTooLarge(f"Decompressed request body is larger than {MAX_DECOMPRESSED_BYTES} bytes.") from exc
    except lzstring.LZStringError as exc:
        raise MalformedData("Invalid lz64 data.") from exc


def json_parse(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedData("Malformed request data: invalid JSON.") from exc


def looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"{", b"[")


def capture_data_decode(data: bytes, *, compression: str = "", content_encoding: str = "") -> Any:
    """Bytes as sent (body or `data=` value) to the JSON payload.

    gzip is recognised by its header, `compression=gzip`/`gzip-js`, or its magic bytes alone
    (posthog-js posts gzip as text/plain with no hint). Anything that is not JSON after that is
    tried as base64, as PostHog's capture does.
    """
    compression = compression.lower()
    if compression == "lz64":
        data = lz64_decode(data)
    elif data[:2] == GZIP_MAGIC or "gzip" in content_encoding.lower() or compression in ("gzip", "gzip-js"):
        data = gzip_decompress(data)
    elif compression == "base64" or (data and not looks_like_json(data)):
        data = base64_decode(data)
        if data[:2] == GZIP_MAGIC:
            data = gzip_decompress(data)
    if len(data) > MAX_DECOMPRESSED_BYTES:
        raise PayloadTooLarge(f"Decompressed request body is larger than {MAX_DECOMPRESSED_BYTES} bytes.")
    if not data.strip():
        raise MalformedData("No data found. Make sure to use a POST request when sending the payload in the body.")
    return json_parse(data)


def form_decode(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedData("Malformed form data.") from exc


def capture_request_decode(request: HttpRequest) -> CaptureRequest:
    """Whatever the transport, return the JSON payload and the parameters that came with it."""
    params = {name: request.GET[name] for name in PARAM_NAMES if name in request.GET}
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    body = request_body_read(request) if request.method == "POST" else b""
    data: bytes | None = body
    if content_type == "application/x-www-form-urlencoded" and body[:2] != GZIP_MAGIC:
        form = form_decode(body)
        params = {**{name: form[name] for name in PARAM_NAMES if name in form}, **params}
        data = form["data"].encode() if "data" in form else None
    if not data and "data" in request.GET:
        data = request.GET["data"].encode()
    if not data:
        raise MalformedData("No data found. Make sure to use a POST request when sending the payload in the body.")
    payload = capture_data_decode(
        data,
        compression=params.get("compression", ""),
        content_encoding=request.META.get("HTTP_CONTENT_ENCODING", ""),
    )
    return CaptureRequest(payload=payload, params=params)
