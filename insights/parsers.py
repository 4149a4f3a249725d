"""A JSON parser that answers 400 for pathologically nested bodies.

Python's json module raises RecursionError (not ValueError) past ~1,000 levels, which DRF's
JSONParser lets through as a 500. Queries are nested JSON by nature, so these views guard it.
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser


class NestingSafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error


PARSER_CLASSES = [NestingSafeJSONParser, FormParser, MultiPartParser]
