"""Strict validation of the supported query subset into plain dataclasses.

Anything outside the subset (another `kind`, an unknown field, a bad value) raises a DRF
ValidationError whose nested detail names the offending path, so the error handler answers 400
with `attr` such as `query__series__0__math`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from rest_framework.exceptions import ErrorDetail, ValidationError

OPERATORS = ("exact", "is_not", "icontains", "not_icontains", "regex", "gt", "lt", "is_set", "is_not_set")
MATHS = ("total", "dau", "sum", "avg", "min", "max")
PROPERTY_MATHS = ("sum", "avg", "min", "max")
INTERVALS = ("hour", "day", "week", "month")
PLAIN_COLUMNS = ("event", "timestamp", "distinct_id", "uuid")
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100
MAX_OFFSET = 1_000_000
MAX_SERIES = 20
MAX_FILTERS = 50
MAX_VALUES = 500
MAX_NAME = 400
MAX_TEXT = 10_000
MAX_BREAKDOWN_LIMIT = 1_000
MAX_QUERY_BYTES = 100_000
DEFAULT_BREAKDOWN_LIMIT = 25
# Wrappers the PostHog app stores in saved insights; their `source` is the real query.
WRAPPERS = ("InsightVizNode", "DataTableNode")


def fail(path: list[str], message: str, code: str = "invalid_input") -> None:
    """Raise a ValidationError nested along `path` (the handler joins it with `__` into `attr`)."""
    detail: Any = [ErrorDetail(message, code=code)]
    for key in reversed(path):
        detail = {key: detail}
    raise ValidationError(detail)


@dataclass(frozen=True)
class PropertyFilter:
    key: str
    operator: str
    value: Any  # a list of scalars for exact/is_not, a string for text operators, a float for gt/lt
    path: tuple[str, ...] = ()  # where it sat in the request, for errors found only by the database


@dataclass(frozen=True)
class EventsQuerySpec:
    select: list[str]
    event: str | None
    properties: list[PropertyFilter]
    after: str | None
    before: str | None
    order_by: list[tuple[str, str]]
    limit: int
    offset: int


@dataclass(frozen=True)
class SeriesSpec:
    event: str | None
    math: str
    math_property: str | None
    name: str | None
    custom_name: str | None
    properties: list[PropertyFilter]


@dataclass(frozen=True)
class TrendsQuerySpec:
    series: list[SeriesSpec]
    interval: str
    date_from: str | None
    date_to: str | None
    properties: list[PropertyFilter]
    breakdown: str | None
    breakdown_limit: int
    extras: dict = field(default_factory=dict)


def _object(value: Any, path: list[str], allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        fail(path, "Expected an object.", "invalid_type")
    for key in value:
        if key not in allowed:
            fail([*path, str(key)[:100]], f"Unknown field '{str(key)[:100]}'.", "unknown_field")
    return value


def _string(value: Any, path: list[str], *, nullable: bool = True, max_length: int = MAX_NAME) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        fail(path, "Expected a string.", "invalid_type")
    if len(value) > max_length:
        fail(path, f"Ensure this value has at most {max_length} characters.", "max_length")
    if "\x00" in value:
        fail(path, "Null characters are not allowed.", "null_characters_not_allowed")
    return value


def _integer(value: Any, path: list[str], *, default: int, minimum: int, maximum: int, clamp: bool) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        fail(path, "Expected an integer.", "invalid_type")
    number = int(value)
    if number < minimum:
        fail(path, f"Ensure this value is greater than or equal to {minimum}.", "min_value")
    if number > maximum:
        if not clamp:
            fail(path, f"Ensure this value is less than or equal to {maximum}.", "max_value")
        number = maximum
    return number


def _scalar(value: Any, path: list[str]) -> str:
    """Filter values compare as text, as PostHog compares stringified property values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            fail(path, "Expected a finite number.")
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return _string(value, path, nullable=False, max_length=MAX_TEXT)


def _number(value: Any, path: list[str]) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            fail(path, "Expected a number.", "invalid_type")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(path, "Expected a number.", "invalid_type")
    return float(value)


def _filter(raw: Any, path: list[str]) -> PropertyFilter:
    obj = _object(raw, path, {"key", "value", "operator", "type", "label"})
    if obj.get("type", "event") != "event":
        fail([*path, "type"], "Only event property filters are supported.", "invalid_choice")
    key = _string(obj.get("key"), [*path, "key"], nullable=False)
    if key == "":
        fail([*path, "key"], "This field may not be blank.", "blank")
    operator = obj.get("operator", "exact")
    if operator not in OPERATORS:
        fail([*path, "operator"], f"Unsupported operator; use one of {', '.join(OPERATORS)}.", "invalid_choice")
    raw_value = obj.get("value")
    value_path = [*path, "value"]
    if operator in ("is_set", "is_not_set"):
        value = None
    elif operator in ("exact", "is_not"):
        items = raw_value if isinstance(raw_value, list) else [raw_value]
        if not items or len(items) > MAX_VALUES:
            fail(value_path, f"Expected between 1 and {MAX_VALUES} values.")
        value = [_scalar(item, [*value_path, str(i)] if isinstance(raw_value, list) else value_path)
                 for i, item in enumerate(items)]
    elif operator in ("gt", "lt"):
        value = _number(raw_value, value_path)
    else:
        value = _scalar(raw_value, value_path)
    return PropertyFilter(key=key, operator=operator, value=value, path=tuple(path))


def parse_properties(raw: Any, path: list[str]) -> list[PropertyFilter]:
    """A flat list of filters (all must match), or PostHog's `{"type": "AND", "values": [...]}` group."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        group = _object(raw, path, {"type", "values"})
        if group.get("type", "AND") != "AND":
            fail([*path, "type"], "Only AND property groups are supported.", "invalid_choice")
        raw, path = group.get("values", []), [*path, "values"]
    if not isinstance(raw, list):
        fail(path, "Expected a list of property filters.", "invalid_type")
    if len(raw) > MAX_FILTERS:
        fail(path, f"At most {MAX_FILTERS} property filters are supported.", "max_length")
    return [_filter(item, [*path, str(index)]) for index, item in enumerate(raw)]


def _column(raw: Any, path: list[str]) -> str:
    column = _string(raw, path, nullable=False)
    column = column.strip()
    if column in ("*", "count()", *PLAIN_COLUMNS):
        return column
    if column.startswith("properties.") and len(column) > len("properties."):
        return column
    fail(path, "Unsupported column; use *, event, timestamp, distinct_id, uuid, properties.<name> or count().",
         "invalid_choice")
    return column


def _order_by(raw: Any, path: list[str], select: list[str]) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 10:
        fail(path, "Expected a list of at most 10 expressions.", "invalid_type")
    aggregated = "count()" in select
    result = []
    for index, item in enumerate(raw):
        item_path = [*path, str(index)]
        text = _string(item, item_path, nullable=False).strip()
        expression, _, direction = text.rpartition(" ")
        if direction.upper() not in ("ASC", "DESC"):
            expression, direction = text, "ASC"
        expression = _column(expression.strip(), item_path)
        if expression == "*" or (aggregated and expression not in select) or (not aggregated and expression == "count()"):
            fail(item_path, "Order by a selected column (an aggregated query) or a plain column.", "invalid_choice")
        result.append((expression, direction.upper()))
    return result


def parse_events_query(raw: dict, path: list[str]) -> EventsQuerySpec:
    from insights.event_params import check_bound

    obj = _object(raw, path, {"kind", "select", "event", "properties", "after", "before", "orderBy", "limit",
                              "offset", "version", "response"})
    select_raw = obj.get("select")
    if not isinstance(select_raw, list) or not select_raw or len(select_raw) > 50:
        fail([*path, "select"], "Expected a list of 1 to 50 columns.", "invalid_type")
    select = [_column(item, [*path, "select", str(i)]) for i, item in enumerate(select_raw)]
    if "count()" in select and "*" in select:
        fail([*path, "select"], "`*` cannot be combined with count().", "invalid_choice")
    for key in ("after", "before"):
        if obj.get(key) is not None and obj.get(key) != "all":
            check_bound(obj.get(key), [*path, key])
    return EventsQuerySpec(
        select=select,
        event=_string(obj.get("event"), [*path, "event"]),
        properties=parse_properties(obj.get("properties"), [*path, "properties"]),
        after=_string(obj.get("after"), [*path, "after"]),
        before=_string(obj.get("before"), [*path, "before"]),
        order_by=_order_by(obj.get("orderBy"), [*path, "orderBy"], select),
        limit=_integer(obj.get("limit"), [*path, "limit"], default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT,
                       clamp=True),
        offset=_integer(obj.get("offset"), [*path, "offset"], default=0, minimum=0, maximum=MAX_OFFSET, clamp=False),
    )


def _series(raw: Any, path: list[str]) -> SeriesSpec:
    obj = _object(raw, path, {"kind", "event", "name", "custom_name", "math", "math_property", "math_property_type",
                              "properties", "version"})
    if obj.get("kind", "EventsNode") != "EventsNode":
        fail([*path, "kind"], "Only EventsNode series are supported.", "invalid_choice")
    math_name = obj.get("math") or "total"
    if math_name not in MATHS:
        fail([*path, "math"], f"Unsupported math; use one of {', '.join(MATHS)}.", "invalid_choice")
    math_property = _string(obj.get("math_property"), [*path, "math_property"])
    if math_name in PROPERTY_MATHS and not math_property:
        fail([*path, "math_property"], f"`{math_name}` needs a numeric math_property.", "required")
    return SeriesSpec(
        event=_string(obj.get("event"), [*path, "event"]),
        math=math_name,
        math_property=math_property if math_name in PROPERTY_MATHS else None,
        name=_string(obj.get("name"), [*path, "name"]),
        custom_name=_string(obj.get("custom_name"), [*path, "custom_name"]),
        properties=parse_properties(obj.get("properties"), [*path, "properties"]),
    )


def _flat_object(raw: Any, path: list[str]) -> dict:
    """Display settings PostHog stores beside the query (`trendsFilter`): scalars only, kept as is."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > 50:
        fail(path, "Expected an object of at most 50 settings.", "invalid_type")
    for key, value in raw.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            fail([*path, str(key)[:100]], "Expected a scalar value.", "invalid_type")
    return raw


def parse_trends_query(raw: dict, path: list[str]) -> TrendsQuerySpec:
    from insights.dates import check_date

    obj = _object(raw, path, {"kind", "series", "interval", "dateRange", "properties", "breakdownFilter",
                              "trendsFilter", "filterTestAccounts", "version", "response"})
    series_raw = obj.get("series")
    if not isinstance(series_raw, list) or not series_raw or len(series_raw) > MAX_SERIES:
        fail([*path, "series"], f"Expected a list of 1 to {MAX_SERIES} series.", "invalid_type")
    interval = obj.get("interval") or "day"
    if interval not in INTERVALS:
        fail([*path, "interval"], f"Unsupported interval; use one of {', '.join(INTERVALS)}.", "invalid_choice")
    date_range = _object(obj.get("dateRange") or {}, [*path, "dateRange"], {"date_from", "date_to", "explicitDate"})
    for key in ("date_from", "date_to"):
        if date_range.get(key) is not None and not (key == "date_from" and date_range[key] == "all"):
            check_date(date_range[key], [*path, "dateRange", key])
    breakdown_filter = _object(obj.get("breakdownFilter") or {}, [*path, "breakdownFilter"],
                               {"breakdown", "breakdown_type", "breakdown_limit", "breakdown_hide_other_aggregation"})
    if breakdown_filter.get("breakdown_type") not in (None, "event"):
        fail([*path, "breakdownFilter", "breakdown_type"], "Only event property breakdowns are supported.",
             "invalid_choice")
    if not isinstance(obj.get("filterTestAccounts", False), bool):
        fail([*path, "filterTestAccounts"], "Expected a boolean.", "invalid_type")
    return TrendsQuerySpec(
        series=[_series(item, [*path, "series", str(i)]) for i, item in enumerate(series_raw)],
        interval=interval,
        date_from=_string(date_range.get("date_from"), [*path, "dateRange", "date_from"]),
        date_to=_string(date_range.get("date_to"), [*path, "dateRange", "date_to"]),
        properties=parse_properties(obj.get("properties"), [*path, "properties"]),
        breakdown=_string(breakdown_filter.get("breakdown"), [*path, "breakdownFilter", "breakdown"]) or None,
        breakdown_limit=_integer(breakdown_filter.get("breakdown_limit"), [*path, "breakdownFilter", "breakdown_limit"],
                                 default=DEFAULT_BREAKDOWN_LIMIT, minimum=1, maximum=MAX_BREAKDOWN_LIMIT, clamp=False),
        extras={"trendsFilter": _flat_object(obj.get("trendsFilter"), [*path, "trendsFilter"])},
    )


def unwrap(raw: Any, path: list[str]) -> tuple[dict, list[str]]:
    """The query inside PostHog's display wrappers (`InsightVizNode`, `DataTableNode`)."""
    if not isinstance(raw, dict):
        fail(path, "Expected a query object.", "invalid_type")
    if raw.get("kind") in WRAPPERS:
        wrapper = {key: value for key, value in raw.items() if key in ("kind", "source")}
        if "source" not in wrapper:
            fail([*path, "source"], "This field is required.", "required")
        source, source_path = wrapper["source"], [*path, "source"]
        if not isinstance(source, dict) or source.get("kind") in WRAPPERS:
            fail(source_path, "Expected an EventsQuery or a TrendsQuery.", "invalid_type")
        return source, source_path
    return raw, path


def parse_query(raw: Any, path: list[str]) -> EventsQuerySpec | TrendsQuerySpec:
    """Validate a query (or a wrapper around one) and return its spec."""
    if len(json.dumps(raw, default=str)) > MAX_QUERY_BYTES:
        fail(path, f"The query is larger than {MAX_QUERY_BYTES} bytes.", "max_length")
    query, query_path = unwrap(raw, path)
    kind = query.get("kind")
    if kind == "EventsQuery":
        return parse_events_query(query, query_path)
    if kind == "TrendsQuery":
        return parse_trends_query(query, query_path)
    fail([*query_path, "kind"], "Unsupported query kind; use EventsQuery or TrendsQuery.", "invalid_choice")
    raise AssertionError("unreachable")
