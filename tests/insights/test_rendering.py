"""JSON reading and writing on the query paths: exact for integers past 64 bits."""

import pytest

from insights.rendering import json_loads, json_response

BIG = 123456789012345678901234567890


@pytest.mark.parametrize("text", [f'{{"big": {BIG}}}', f'{{"big": {BIG}}}'.encode()])
def test_json_loads_keeps_integers_beyond_64_bits_exact(text):
    assert json_loads(text) == {"big": BIG}


def test_json_loads_reads_ordinary_documents():
    assert json_loads('{"a": [1, 2.5, "x", null], "b": 18446744073709551615}') == {
        "a": [1, 2.5, "x", None], "b": 18446744073709551615}


def test_json_response_writes_integers_beyond_64_bits_exact():
    assert json_response({"big": BIG}).content == f'{{"big": {BIG}}}'.encode()
