"""JSON rendering with orjson for list endpoints: at 100 rows a page, the stdlib encoder is a visible
share of a request. Opted into per view, for views whose data their serializers already turned
into JSON types (DRF's encoder would render a raw datetime or Decimal differently)."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer


class OrjsonRenderer(JSONRenderer):
    """Same media type and compact UTF-8 output as DRF's JSONRenderer (which this project uses with
    UNICODE_JSON and COMPACT_JSON on); anything orjson does not know natively (lazy strings,
    Decimals) is rendered through str(), as DRF's encoder would. orjson refuses integers past 64
    bits (a user's JSON settings may hold them): such a document goes through DRF's encoder."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        try:
            return orjson.dumps(data, default=str, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
