"""Request parsers: DRF's, with deeply nested JSON answered as a 400 instead of a 500."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """Python's json module raises RecursionError (not ValueError) past ~1,000 nesting levels,
    which DRF's parser lets through as a 500; any endpoint could receive such a body."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error
