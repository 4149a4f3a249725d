"""List filters and ordering for `GET /file_system/` (§8.2), parsed into SQL over `f` (the entries).

The list is read by one hand-written statement (file_system/selectors.py) rather than through
django-filter and the ORM: their per-request form, deep-copy and compile work cost several times
the query itself on a folder listing (bench/bench_file_system.py). The parameters keep the
semantics they had as a FilterSet: values are whitespace-stripped, empty ones are ignored, a NUL
character is a 400 naming the parameter, dates are ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from file_system.models import FOLDER
from file_system.search import like_escape, search_sql
from posthog_core.utils import clamped_utc

PLAIN_ORDERINGS = frozenset({"path", "-path", "created_at", "-created_at"})
VIEW_ORDERINGS = frozenset({"last_viewed_at", "-last_viewed_at"})
# Text parameters in the order their errors are reported (the order the list documents them).
TEXT_PARAMS = ("depth", "path", "parent", "type", "not_type", "type__startswith", "ref", "search", "order_by")
DATE_PARAMS = {"created_at__gt": ">", "created_at__lt": "<"}
# Django's NullBooleanField spellings, which `search_name_only` has always accepted.
TRUE_VALUES = frozenset({"true", "True", "2"})

_NO_NULLS = ProhibitNullCharactersValidator()
_ISO_DATETIME = IsoDateTimeField(required=False)

LIST_PARAMETERS = [
    OpenApiParameter("depth", OpenApiTypes.STR, description="Only entries at this depth (ignored unless an integer)."),
    OpenApiParameter("path", OpenApiTypes.STR, description="Only the entry at exactly this path."),
    OpenApiParameter("parent", OpenApiTypes.STR, description="Every entry below this folder path (add `depth` for direct children)."),
    OpenApiParameter("type", OpenApiTypes.STR, description="Only this type."),
    OpenApiParameter("not_type", OpenApiTypes.STR, description="Every type but this one."),
    OpenApiParameter("type__startswith", OpenApiTypes.STR, description="Types starting with this prefix."),
    OpenApiParameter("ref", OpenApiTypes.STR, description="Entries of this object id; originals before shortcuts."),
    OpenApiParameter("created_at__gt", OpenApiTypes.DATETIME),
    OpenApiParameter("created_at__lt", OpenApiTypes.DATETIME),
    OpenApiParameter("search", OpenApiTypes.STR, description="Search: tokens, quotes, `-`/`!` negation, `path:`, `name:`, `user:`/`author:` (`me`), `type:`, `ref:`."),
    OpenApiParameter("search_name_only", OpenApiTypes.BOOL, description="Plain search tokens match the last path segment only."),
    OpenApiParameter("order_by", OpenApiTypes.STR, description="`path`, `-path`, `created_at`, `-created_at`, `last_viewed_at`, `-last_viewed_at`; anything else means `-created_at`."),
]


def as_int32(raw) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if -(2**31) <= value < 2**31 else None


def _text_values(params) -> dict[str, str]:
    """The non-empty, stripped text parameters; a NUL in any of them is a 400 naming it."""
    values = {}
    for name in TEXT_PARAMS:
        value = (params.get(name) or "").strip()
        try:
            _NO_NULLS(value)
        except DjangoValidationError as error:
            raise ValidationError({name: [error.message]}, code=error.code) from None
        if value:
            values[name] = value
    return values


def _date_value(params, name: str):
    try:
        value = _ISO_DATETIME.clean(params.get(name))
    except DjangoValidationError as error:
        raise ValidationError({name: [error.messages[0]]}, code="invalid") from None
    # In UTC: PostgreSQL refuses offsets past +-15:59 that ISO 8601 (and Python) allow; a time that
    # leaves the calendar on the way is before or after every entry.
    return None if value is None else clamped_utc(value)


@dataclass(frozen=True)
class FileSystemListQuery:
    """Every filter and ordering rule of the list, as SQL over `f` with named parameters.

    `viewer` is the user whose view log orders the list (`order_by=last_viewed_at`), else None.
    """

    where: str
    params: dict
    order_by: str
    viewer: int | None

    @classmethod
    def parse(cls, params, *, user) -> FileSystemListQuery:
        values: dict = {}

        def bind(value) -> str:
            key = f"f{len(values)}"
            values[key] = value
            return f"%({key})s"

        text = _text_values(params)
        depth = as_int32(text.get("depth"))  # a non-integer depth neither filters nor orders
        clauses = cls._field_clauses(text, depth, bind)
        for name, operator in DATE_PARAMS.items():
            moment = _date_value(params, name)
            if moment is not None:
                clauses.append(f"f.created_at {operator} {bind(moment)}")
        if "search" in text:
            name_only = (params.get("search_name_only") or "").strip() in TRUE_VALUES
            clauses += search_sql(text["search"], user=user, bind=bind, name_only=name_only)
        order_by, viewer = cls._ordering(text, depth, user)
        return cls(where=" AND ".join(clauses) or "TRUE", params=values, order_by=order_by, viewer=viewer)

    @staticmethod
    def _field_clauses(text: dict[str, str], depth: int | None, bind) -> list[str]:
        clauses = []
        if depth is not None:
            clauses.append(f"f.depth = {bind(depth)}")
        # `path COLLATE "C"`: the form the (team, depth, path C) index serves, as a range for a prefix.
        if "path" in text:
            clauses.append(f'f.path COLLATE "C" = {bind(text["path"])}')
        parent = text.get("parent", "").rstrip("/")
        if parent:
            clauses.append(f'f.path COLLATE "C" LIKE {bind(like_escape(parent) + "/%")}')
        if "type" in text:
            clauses.append(f"f.type = {bind(text['type'])}")
        if "not_type" in text:
            clauses.append(f"f.type <> {bind(text['not_type'])}")
        if "type__startswith" in text:
            clauses.append(f"f.type LIKE {bind(like_escape(text['type__startswith']) + '%')}")
        if "ref" in text:
            clauses.append(f"f.ref = {bind(text['ref'])}")
        return clauses

    @staticmethod
    def _ordering(text: dict[str, str], depth: int | None, user) -> tuple[str, int | None]:
        """ORDER BY (ids break ties) and the viewer for a view-log ordering. With `ref`, originals
        come before shortcuts."""
        order_by = text.get("order_by", "")
        prefix = "f.shortcut, " if "ref" in text else ""
        if order_by in PLAIN_ORDERINGS:
            direction = " DESC" if order_by.startswith("-") else ""
            return f"{prefix}f.{order_by.lstrip('-')}{direction}, f.id", None
        if order_by in VIEW_ORDERINGS:
            direction = "DESC" if order_by.startswith("-") else "ASC"
            return f"{prefix}last_viewed_at {direction} NULLS LAST, f.id", getattr(user, "pk", None)
        if order_by:
            return f"{prefix}f.created_at DESC, f.id", None
        if depth is not None:
            return f"{prefix}CASE WHEN f.type = '{FOLDER}' THEN 0 ELSE 1 END, lower(f.path), f.id", None
        return f"{prefix}lower(f.path), f.id", None
