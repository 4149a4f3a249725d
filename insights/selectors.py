"""Run compiled queries and shape their rows into PostHog's response bodies."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from django.db import DataError, connection, transaction

from insights import compiler
from insights.dates import Buckets, project_zone, trends_buckets
from insights.event_params import cursor_decode, cursor_encode, parse_bound
from insights.query_spec import (
    EventsQuerySpec,
    PropertyFilter,
    SeriesSpec,
    TrendsQuerySpec,
    fail,
    parse_properties,
)
from insights.rendering import json_loads, raw_json
from posthog_core.db_routing import read_connection
from posthog_core.models import Project

STREAM_BATCH = 2_000
TYPES = {"*": "Tuple(UUID, String, String, DateTime64(6, 'UTC'), String)", "event": "String",
         "distinct_id": "String", "uuid": "UUID", "timestamp": "DateTime64(6, 'UTC')", "count()": "UInt64"}


def _number(value) -> float | int:
    """JSON-safe numbers: integers stay integers; NaN/infinite sums become 0 rather than invalid JSON."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    number = float(value) if isinstance(value, Decimal) else value
    if not math.isfinite(number):
        return 0
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def regex_check(filters: list[PropertyFilter]) -> None:
    """Reject regexes PostgreSQL cannot compile (its dialect differs from Python's), naming the filter."""
    for item in filters:
        if item.operator != "regex":
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT '' ~ %s", [item.value])
        except DataError:
            fail([*item.path, "value"], "Invalid regular expression.", "invalid_regex")


def _run(sql: compiler.Sql) -> list[tuple]:
    with read_connection().cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        return cursor.fetchall()


def _event_window(spec: EventsQuerySpec, zone, now: datetime, path: list[str]):
    """EventsQuery `after` defaults to the last 24 hours, as in PostHog; `"all"` lifts the bound."""
    bounds = []
    for key, default in (("after", "-24h"), ("before", None)):
        value = getattr(spec, key) or default
        if value is None or value == "all":
            bounds.append(None)
            continue
        bounds.append(parse_bound(value, [*path, key], zone=zone, now=now))
    return bounds


def _native_types(zone, embed_json: bool) -> bool:
    """Whether UUIDs and timestamps may stay objects for orjson to write (in C) instead of str() and
    isoformat() here: orjson writes them the same, except that it rounds UTC offsets to whole
    minutes (historic local mean times have seconds). The driver's timestamps are in the
    connection's zone, so only when that and the project's zone are both UTC."""
    return embed_json and zone.key == "UTC" and connection.timezone == UTC


def _row_shaper(spec: EventsQuerySpec, zone, embed_json: bool = False):
    """A function turning the SQL rows into the rows PostHog answers, in `select` order.

    With `embed_json`, property JSON stays PostgreSQL's text as an orjson fragment (for
    rendering.json_response) instead of being parsed here only to be encoded again.
    """
    _json = raw_json if embed_json else json_loads
    if _native_types(zone, embed_json):
        stamp, text = _same, _same
    else:
        stamp, text = (lambda value: value.astimezone(zone).isoformat()), str
    if spec.select == ["*"]:  # the common case, without the per-column dispatch below
        return lambda rows: [[{"uuid": text(uuid), "event": event, "properties": _json(properties),
                               "timestamp": stamp(timestamp), "distinct_id": distinct_id}]
                             for uuid, event, properties, timestamp, distinct_id in rows]
    converters = {"timestamp": stamp, "uuid": text}

    def shape(row: tuple) -> list:
        out, index = [], 0
        for column in spec.select:
            if column == "*":
                uuid, event, properties, timestamp, distinct_id = row[index:index + 5]
                out.append({"uuid": text(uuid), "event": event, "properties": _json(properties),
                            "timestamp": stamp(timestamp), "distinct_id": distinct_id})
                index += 5
                continue
            value = row[index]
            if column.startswith("properties."):
                value = _json(value)
            elif column in converters:
                value = converters[column](value)
            out.append(value)
            index += 1
        return out

    return lambda rows: [shape(row) for row in rows]


def _same(value):
    return value


def events_query_run(*, team: Project, spec: EventsQuerySpec, now: datetime, path: list[str],
                     embed_json: bool = False) -> dict:
    zone = project_zone(team.timezone)
    since, until = _event_window(spec, zone, now, path)
    regex_check(spec.properties)
    sql = compiler.events_query_sql(spec=spec, team_id=team.id, since=since, until=until, limit=spec.limit + 1,
                                    offset=spec.offset)
    rows = _run(sql)
    return {
        "columns": list(spec.select),
        "results": _row_shaper(spec, zone, embed_json)(rows[:spec.limit]),
        "types": [[column, TYPES.get(column, "Nullable(String)")] for column in spec.select],
        "hasMore": len(rows) > spec.limit,
        "limit": spec.limit,
        "offset": spec.offset,
    }


def events_query_rows(*, team: Project, spec: EventsQuerySpec, now: datetime, row_limit: int,
                      path: list[str]) -> Iterator[list]:
    """Every row of the query up to `row_limit`, fetched in batches through a server-side cursor.

    Checks run before the generator is returned, so a bad query fails before streaming starts.
    """
    zone = project_zone(team.timezone)
    since, until = _event_window(spec, zone, now, path)
    regex_check(spec.properties)
    sql = compiler.events_query_sql(spec=spec, team_id=team.id, since=since, until=until, limit=row_limit, offset=0)
    shape = _row_shaper(spec, zone)
    source = read_connection()  # chosen now: the generator runs later, outside the caller's scope

    def generate() -> Iterator[list]:
        # chunked_cursor() is a named (server-side) cursor, WITH HOLD outside a transaction.
        cursor = source.chunked_cursor()
        try:
            cursor.execute(sql.text, sql.params)
            while batch := cursor.fetchmany(STREAM_BATCH):
                yield from shape(batch)
        finally:
            cursor.close()

    return generate()


def _action(series: SeriesSpec, order: int) -> dict:
    return {"id": series.event, "type": "events", "order": order, "name": series.name or series.event or "All events",
            "custom_name": series.custom_name, "math": series.math, "math_property": series.math_property}


def _series_result(*, series: SeriesSpec, order: int, buckets: Buckets, values: dict, breakdown_value=None) -> dict:
    data = [_number(values.get(start)) for start in buckets.starts]
    label = series.custom_name or series.event or "All events"
    result = {
        "action": _action(series, order),
        "label": label,
        "count": _number(sum(data)),
        "data": data,
        "labels": buckets.labels(),
        "days": buckets.days(),
    }
    if breakdown_value is not None:
        shown = {compiler.OTHER_MARKER: "Other", compiler.NULL_MARKER: "None"}.get(breakdown_value, breakdown_value)
        result["label"] = f"{label} - {shown}"
        result["breakdown_value"] = breakdown_value
    return result


def _breakdown_results(*, series: SeriesSpec, order: int, buckets: Buckets, rows: list[tuple]) -> list[dict]:
    """One result per top value (by rank), then "Other"; none at all when no event has the property."""
    if all(value == compiler.NULL_MARKER for _, value, rank, _ in rows if rank is not None):
        return []
    grouped: dict[tuple, dict] = {}
    for bucket, value, rank, number in rows:
        grouped.setdefault((rank is None, rank or 0, value), {})[bucket] = number
    return [_series_result(series=series, order=order, buckets=buckets, values=values, breakdown_value=value)
            for (_, _, value), values in sorted(grouped.items(), key=lambda item: item[0][:2])]


def _earliest(team: Project, spec: TrendsQuerySpec) -> datetime | None:
    events = [series.event for series in spec.series]
    with read_connection().cursor() as cursor:
        if None in events:
            cursor.execute(f"SELECT min(timestamp) FROM {compiler.TABLE} WHERE team_id = %s", [team.id])
        else:
            cursor.execute(f"SELECT min(timestamp) FROM {compiler.TABLE} WHERE team_id = %s AND event = ANY(%s)",
                           [team.id, events])
        return cursor.fetchone()[0]


def trends_statements(*, team: Project, spec: TrendsQuerySpec, buckets: Buckets) -> list[compiler.Sql]:
    """The SQL the trends query runs, one statement per series (the EXPLAIN test reads these)."""
    zone = project_zone(team.timezone)
    statements = []
    for series in spec.series:
        where = compiler.where_clause(team_id=team.id, event=series.event, filters=[*spec.properties, *series.properties],
                                      since=buckets.date_from, until=buckets.date_to, until_inclusive=True)
        if spec.breakdown:
            statements.append(compiler.trends_breakdown_sql(series=series, where=where, interval=spec.interval,
                                                            timezone=zone.key, breakdown=spec.breakdown,
                                                            limit=spec.breakdown_limit))
        else:
            statements.append(compiler.trends_series_sql(series=series, where=where, interval=spec.interval,
                                                         timezone=zone.key))
    return statements


def trends_query_buckets(*, team: Project, spec: TrendsQuerySpec, now: datetime, path: list[str]) -> Buckets:
    zone = project_zone(team.timezone)
    earliest = _earliest(team, spec) if spec.date_from == "all" else None
    return trends_buckets(date_from=spec.date_from, date_to=spec.date_to, interval=spec.interval, zone=zone,
                          now=now, earliest=earliest, path=[*path, "dateRange"])


def trends_query_run(*, team: Project, spec: TrendsQuerySpec, now: datetime, path: list[str]) -> dict:
    buckets = trends_query_buckets(team=team, spec=spec, now=now, path=path)
    regex_check([*spec.properties, *(item for series in spec.series for item in series.properties)])
    results = []
    statements = trends_statements(team=team, spec=spec, buckets=buckets)
    for order, (series, sql) in enumerate(zip(spec.series, statements, strict=True)):
        if spec.breakdown:
            results += _breakdown_results(series=series, order=order, buckets=buckets, rows=_run(sql))
        else:
            results.append(_series_result(series=series, order=order, buckets=buckets, values=dict(_run(sql))))
    return {
        "results": results,
        "timezone": buckets.zone.key,
        "resolved_date_range": {"date_from": buckets.date_from.astimezone(buckets.zone).isoformat(),
                                "date_to": buckets.date_to.astimezone(buckets.zone).isoformat()},
    }


def events_list_where(*, team: Project, params: dict) -> compiler.Sql:
    """The WHERE clause of the `/events/` page (see events_list) from its raw query parameters; also
    what an export of an `/events/` path streams by COPY (exports.copy_path)."""
    zone, now = project_zone(team.timezone), datetime.now(UTC)
    bounds = {key: parse_bound(params[key], [key], zone=zone, now=now) for key in ("after", "before") if params.get(key)}
    try:
        raw_filters = json.loads(params["properties"]) if params.get("properties") else []
    except (ValueError, RecursionError):
        fail(["properties"], "Expected a JSON list of property filters.", "invalid_json")
    filters = parse_properties(raw_filters, ["properties"])
    regex_check(filters)
    where = compiler.where_clause(team_id=team.id, event=params.get("event") or None, filters=filters,
                                  since=bounds.get("after"), until=bounds.get("before"), until_inclusive=False)
    if params.get("distinct_id"):
        where.add(" AND distinct_id = %s", params["distinct_id"])
    if params.get("cursor"):
        timestamp, uuid = cursor_decode(params["cursor"])
        # The plain bound repeats what the row comparison implies: only it prunes the monthly
        # partitions after the cursor's (ingestion.partitions).
        where.add(" AND (timestamp, uuid) < (%s, %s::uuid) AND timestamp <= %s", timestamp, uuid, timestamp)
    return where


def events_list(*, team: Project, params: dict, limit: int) -> tuple[list[dict], str | None]:
    """The legacy `/events/` page: newest first, keyset-paged on (timestamp, uuid).

    `params` holds the raw query parameters (`event`, `distinct_id`, `properties` as a JSON list,
    `after`, `before`, `cursor`). Returns the rows and the cursor of the next page (or None).
    The rows are for orjson (insights.rendering.json_response): `properties` are fragments of
    PostgreSQL's own JSON text, and ids and timestamps may be UUID and datetime objects.
    """
    where = events_list_where(team=team, params=params)
    rows = _run(compiler.Sql(
        f"SELECT uuid, distinct_id, properties, event, timestamp FROM {compiler.TABLE} WHERE {where.text} "
        "ORDER BY timestamp DESC, uuid DESC LIMIT %s", [*where.params, limit + 1]))
    # Timestamps as the driver gives them (the connection's zone, UTC); see _native_types.
    native = connection.timezone == UTC
    stamp, text = (_same, _same) if native else (datetime.isoformat, str)
    page = [{"id": text(uuid), "distinct_id": distinct_id, "properties": raw_json(properties), "event": event,
             "timestamp": stamp(timestamp)} for uuid, distinct_id, properties, event, timestamp in rows[:limit]]
    next_cursor = cursor_encode(rows[limit - 1][4], rows[limit - 1][0]) if len(rows) > limit else None
    return page, next_cursor
