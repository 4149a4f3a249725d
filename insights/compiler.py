"""Compile validated query specs to parameterised SQL over `ingestion_event`.

Property names, values, event names and timezones always travel as parameters; the only text
spliced into SQL comes from the fixed tables below (operators, aggregate functions, columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from ingestion.models import Event
from insights.query_spec import EventsQuerySpec, PropertyFilter, SeriesSpec

TABLE = Event._meta.db_table
NULL_MARKER = "$$_posthog_breakdown_null_$$"
OTHER_MARKER = "$$_posthog_breakdown_other_$$"
# Property values count as numbers when they look like one; anything else is ignored by math and
# gt/lt (PostHog's toFloat gives null too). The exponent is bounded so the cast cannot overflow.
NUMERIC_PATTERN = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$"
STAR_FIELDS = ("uuid", "event", "properties", "timestamp", "distinct_id")
AGGREGATES = {"total": "count(*)", "dau": "count(DISTINCT distinct_id)", "sum": "sum(num)", "avg": "avg(num)",
              "min": "min(num)", "max": "max(num)"}


@dataclass
class Sql:
    text: str = ""
    params: list = field(default_factory=list)

    def add(self, text: str, *params) -> Sql:
        self.text += text
        self.params.extend(params)
        return self


def escape_like(value: str) -> str:
    return connection.ops.prep_for_like_query(value)


def numeric_expression(key: str) -> Sql:
    return Sql("(CASE WHEN (properties ->> %s) ~ %s THEN (properties ->> %s)::numeric END)", [key, NUMERIC_PATTERN, key])


def property_condition(item: PropertyFilter) -> Sql:
    text = "(properties ->> %s)"
    op = item.operator
    if op == "is_set":
        return Sql(f"{text} IS NOT NULL", [item.key])
    if op == "is_not_set":
        return Sql(f"{text} IS NULL", [item.key])
    if op in ("gt", "lt"):
        number = numeric_expression(item.key)
        return Sql(f"COALESCE({number.text} {'>' if op == 'gt' else '<'} %s, false)", [*number.params, item.value])
    if op in ("exact", "is_not"):
        condition = Sql(f"COALESCE({text} = ANY(%s), false)", [item.key, list(item.value)])
    elif op in ("icontains", "not_icontains"):
        condition = Sql(f"COALESCE({text} ILIKE %s, false)", [item.key, f"%{escape_like(item.value)}%"])
    else:
        condition = Sql(f"COALESCE({text} ~ %s, false)", [item.key, item.value])
    if op in ("is_not", "not_icontains"):
        condition.text = f"NOT {condition.text}"
    return condition


def where_clause(*, team_id: int, event: str | None, filters: list[PropertyFilter], since: datetime | None,
                 until: datetime | None, until_inclusive: bool) -> Sql:
    sql = Sql("team_id = %s", [team_id])
    if event is not None:
        sql.add(" AND event = %s", event)
    if since is not None:
        sql.add(" AND timestamp >= %s", since)
    if until is not None:
        sql.add(f" AND timestamp {'<=' if until_inclusive else '<'} %s", until)
    for item in filters:
        condition = property_condition(item)
        sql.add(f" AND {condition.text}", *condition.params)
    return sql


def bucket_expression(interval: str, timezone: str) -> Sql:
    if interval == "week":
        # PostgreSQL weeks start on Monday; PostHog's default weeks start on Sunday.
        return Sql("(date_trunc('week', (timestamp AT TIME ZONE %s) + interval '1 day') - interval '1 day')", [timezone])
    unit = {"hour": "hour", "day": "day", "month": "month"}[interval]
    return Sql(f"date_trunc('{unit}', timestamp AT TIME ZONE %s)", [timezone])


def trends_series_sql(*, series: SeriesSpec, where: Sql, interval: str, timezone: str) -> Sql:
    """Rows of (bucket, value) for one series."""
    bucket = bucket_expression(interval, timezone)
    if series.math == "dau":
        # Each (bucket, user) pair once, then counted: the planner may hash the pairs, where
        # count(DISTINCT) always sorts every row by (bucket, distinct_id) first.
        return Sql(f"SELECT bucket, count(*) AS value FROM (SELECT {bucket.text} AS bucket, distinct_id FROM {TABLE} "
                   f"WHERE {where.text} GROUP BY 1, 2) AS users GROUP BY 1", [*bucket.params, *where.params])
    aggregate = AGGREGATES[series.math]
    if series.math_property:
        number = numeric_expression(series.math_property)
        aggregate = aggregate.replace("num", number.text)
        params = [*bucket.params, *number.params, *where.params]
    else:
        params = [*bucket.params, *where.params]
    return Sql(f"SELECT {bucket.text} AS bucket, {aggregate} AS value FROM {TABLE} WHERE {where.text} GROUP BY 1",
               params)


# Maths whose value over several groups follows from the groups' values: "Other" can be folded
# from per-value rows. Unique users and averages cannot (a user in two values counts once).
FOLDS = {"total": "sum", "sum": "sum", "min": "min", "max": "max"}


def trends_breakdown_sql(*, series: SeriesSpec, where: Sql, interval: str, timezone: str, breakdown: str,
                         limit: int) -> Sql:
    """Rows of (bucket, breakdown value, rank, value): the top `limit` values by the series' math over
    the whole range keep their rank; everything else is folded into OTHER_MARKER with rank NULL."""
    if series.math in FOLDS:
        return _breakdown_one_pass_sql(series=series, where=where, interval=interval, timezone=timezone,
                                       breakdown=breakdown, limit=limit)
    return _breakdown_two_pass_sql(series=series, where=where, interval=interval, timezone=timezone,
                                   breakdown=breakdown, limit=limit)


def _breakdown_base(*, series: SeriesSpec, where: Sql, interval: str, timezone: str, breakdown: str) -> Sql:
    bucket = bucket_expression(interval, timezone)
    number = numeric_expression(series.math_property) if series.math_property else Sql("NULL::numeric", [])
    sql = Sql(f"SELECT {bucket.text} AS bucket, ", bucket.params.copy())
    sql.add("COALESCE(properties ->> %s, %s) AS bv, distinct_id, ", breakdown, NULL_MARKER)
    return sql.add(f"{number.text} AS num FROM {TABLE} WHERE {where.text}", *number.params, *where.params)


def _breakdown_one_pass_sql(*, series: SeriesSpec, where: Sql, interval: str, timezone: str, breakdown: str,
                            limit: int) -> Sql:
    """One scan of the events: GROUPING SETS gives each value's per-bucket figure and its whole-range
    figure (the rank) together; "Other" is the fold (sum, min or max) of the per-bucket figures."""
    base = _breakdown_base(series=series, where=where, interval=interval, timezone=timezone, breakdown=breakdown)
    aggregate, fold = AGGREGATES[series.math], FOLDS[series.math]
    sql = Sql(f"WITH grouped AS (SELECT bucket, bv, {aggregate} AS value, GROUPING(bucket) AS whole "
              f"FROM ({base.text}) AS base GROUP BY GROUPING SETS ((bv, bucket), (bv))), ", base.params.copy())
    sql.add("ranked AS (SELECT bv, row_number() OVER (ORDER BY value DESC NULLS LAST, bv) AS rank "
            "FROM grouped WHERE whole = 1) ")
    sql.add("SELECT grouped.bucket, CASE WHEN ranked.rank <= %s THEN grouped.bv ELSE %s END, "
            f"CASE WHEN ranked.rank <= %s THEN ranked.rank END, {fold}(grouped.value) "
            "FROM grouped JOIN ranked ON ranked.bv = grouped.bv WHERE grouped.whole = 0 GROUP BY 1, 2, 3",
            limit, OTHER_MARKER, limit)
    return sql


def _breakdown_two_pass_sql(*, series: SeriesSpec, where: Sql, interval: str, timezone: str, breakdown: str,
                            limit: int) -> Sql:
    """The rows are kept (materialized) and aggregated twice: once to rank the values, once per
    bucket with the rest folded into "Other", so unique users in "Other" are not double counted."""
    base = _breakdown_base(series=series, where=where, interval=interval, timezone=timezone, breakdown=breakdown)
    aggregate = AGGREGATES[series.math]
    sql = Sql(f"WITH base AS MATERIALIZED ({base.text}), ", base.params.copy())
    sql.add(f"top AS (SELECT bv, row_number() OVER (ORDER BY {aggregate} DESC NULLS LAST, bv) AS rank "
            "FROM base GROUP BY bv ORDER BY rank LIMIT %s) ", limit)
    sql.add(f"SELECT base.bucket, COALESCE(top.bv, %s), top.rank, {aggregate} AS value "
            "FROM base LEFT JOIN top ON top.bv = base.bv GROUP BY 1, 2, 3", OTHER_MARKER)
    return sql


def select_item(column: str) -> Sql:
    if column == "*":
        return Sql(", ".join(STAR_FIELDS))
    if column == "count()":
        return Sql("count(*)")
    if column.startswith("properties."):
        return Sql("(properties -> %s)", [column.removeprefix("properties.")])
    return Sql(column)


# An EventsQuery of plain columns without `orderBy`: newest first, the uuid breaking ties.
EVENTS_DEFAULT_ORDER = [("timestamp", "DESC"), ("uuid", "DESC")]


def events_query_sql(*, spec: EventsQuerySpec, team_id: int, since: datetime | None, until: datetime | None,
                     limit: int, offset: int) -> Sql:
    """The EventsQuery as one SELECT; `*` expands to STAR_FIELDS and the caller regroups them."""
    items = [select_item(column) for column in spec.select]
    positions, position = {}, 1
    for column in spec.select:
        positions.setdefault(column, position)
        position += len(STAR_FIELDS) if column == "*" else 1
    aggregated = "count()" in spec.select
    where = where_clause(team_id=team_id, event=spec.event, filters=spec.properties, since=since, until=until,
                         until_inclusive=False)
    sql = Sql("SELECT ")
    for index, item in enumerate(items):
        sql.add((", " if index else "") + item.text, *item.params)
    sql.add(f" FROM {TABLE} WHERE {where.text}", *where.params)
    if aggregated:
        groups = [str(positions[column]) for column in spec.select if column != "count()"]
        if groups:
            sql.add(" GROUP BY " + ", ".join(groups))
    order = spec.order_by or ([("count()", "DESC")] if aggregated else EVENTS_DEFAULT_ORDER)
    parts = []
    for column, direction in order:
        if aggregated:
            parts.append(Sql(f"{positions[column]} {direction}"))
        else:
            item = select_item(column)
            parts.append(Sql(f"{item.text} {direction}", item.params))
    for index, part in enumerate(parts):
        sql.add((" ORDER BY " if index == 0 else ", ") + part.text, *part.params)
    sql.add(" LIMIT %s OFFSET %s", limit, offset)
    return sql
