"""Serializer helpers shared by every app."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, tzinfo


class CachedFieldsMixin:
    """Build a ModelSerializer's fields once per class instead of once per instance.

    ModelSerializer introspects the model on every instantiation; for small serializers
    rendered on hot paths (`/api/users/@me/`, the user embedded in every list row) that is most
    of their cost. The built fields are kept unbound as a template and deep-copied per instance,
    exactly as DRF copies declared fields. Only for serializers whose fields do not depend on
    the context or the instance (no get_fields() override that reads them).
    """

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_field_template")
        if template is None:
            template = super().get_fields()
            cls._field_template = template
        return copy.deepcopy(template)


def iso_8601(value: datetime, zone: tzinfo = UTC) -> str:
    """DRF's ISO-8601 rendering of an aware datetime in `zone` (`Z` for UTC), without its per-call
    settings and current-timezone lookups: list pages render hundreds of timestamps."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
