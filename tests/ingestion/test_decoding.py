"""Body decoding without a database: gzip (bounded), base64 variants, lz-string, JSON."""

import base64
import gzip
import json

import lzstring
import pytest

from ingestion import decoding
from ingestion.lzstring import LZStringTooLarge, decompress_from_base64
from posthog_core.exceptions import PayloadTooLarge

PAYLOAD = {"api_key": "phc_x", "batch": [{"event": "é 😀", "distinct_id": "d"}]}
RAW = json.dumps(PAYLOAD).encode()


def test_gzip_decompress_past_limit_raises_payload_too_large():
    with pytest.raises(PayloadTooLarge):
        decoding.gzip_decompress(gzip.compress(b"x" * 10_000), limit=9_999)


def test_gzip_decompress_at_limit_returns_everything():
    assert decoding.gzip_decompress(gzip.compress(b"x" * 10_000), limit=10_000) == b"x" * 10_000


def test_gzip_decompress_concatenated_members_are_one_stream():
    assert decoding.gzip_decompress(gzip.compress(b"ab") + gzip.compress(b"cd")) == b"abcd"


@pytest.mark.parametrize(
    "encoded",
    [
        base64.b64encode(RAW),
        base64.b64encode(RAW).rstrip(b"="),
        base64.urlsafe_b64encode(RAW),
        base64.b64encode(RAW).replace(b"+", b" "),
    ],
    ids=["standard", "unpadded", "urlsafe", "form-spaces"],
)
def test_capture_data_decode_base64_variants_give_the_payload(encoded):
    assert decoding.capture_data_decode(encoded) == PAYLOAD


def test_capture_data_decode_base64_of_gzip_gives_the_payload():
    assert decoding.capture_data_decode(base64.b64encode(gzip.compress(RAW))) == PAYLOAD


def test_capture_data_decode_lz64_gives_the_payload():
    encoded = lzstring.LZString().compressToBase64(RAW.decode()).encode()

    assert decoding.capture_data_decode(encoded, compression="lz64") == PAYLOAD


def test_lz64_past_limit_raises_too_large():
    encoded = lzstring.LZString().compressToBase64("a" * 100_000)

    with pytest.raises(LZStringTooLarge):
        decompress_from_base64(encoded, max_chars=50_000)


def test_capture_data_decode_gzip_header_on_plain_body_is_malformed():
    with pytest.raises(decoding.MalformedData):
        decoding.capture_data_decode(RAW, content_encoding="gzip")


def test_capture_data_decode_json_nested_past_orjson_limit_is_malformed():
    with pytest.raises(decoding.MalformedData):
        decoding.capture_data_decode(b"[" * 2000 + b"]" * 2000)


def js_string(text):
    """The string as JavaScript holds it (UTF-16 code units), which is what posthog-js compresses."""
    units = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(units[i : i + 2], "little")) for i in range(0, len(units), 2))


def test_lz64_astral_characters_compressed_as_utf16_units_come_back_whole():
    text = json.dumps({"event": "é 😀", "distinct_id": "🦔"}, ensure_ascii=False)

    assert decompress_from_base64(lzstring.LZString().compressToBase64(js_string(text)), max_chars=10_000) == text
