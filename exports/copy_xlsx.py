"""The XLSX fast path for an EventsQuery of plain columns: PostgreSQL renders each sheet row.

Per-cell Python (XlsxWriter's, or even a tight loop) costs far more than the query, so, as CSV does
with COPY, the rows of the data sheet come out of PostgreSQL as finished SpreadsheetML `<row>`
elements, typed as the streamed path types the same values (exports.renderers.xlsx.cell):

- `uuid`, `event`, `distinct_id` and string properties as inline strings, XML-escaped, newlines as
  `&#10;` (COPY's CSV mode would quote a raw one), cut at Excel's 32,767 characters; an ISO datetime
  string as a date, as the streamed path's parser reads it;
- `timestamp` as an Excel serial date in UTC wall time;
- numbers as numbers, booleans as booleans, arrays as their JSON text, null or missing as empty.

A value this SQL can't type exactly as the streamed path does (an object, which is flattened into
columns there; control characters, which Excel escapes; a number inside an array that may print as
a float there) raises a deliberate division by zero, and the export is rendered the streamed way.
COPY writes one row per line, in CSV mode with delimiter and quote bytes that XML never holds, so
nothing is ever quoted and the lines are the XML as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from exports.copy_csv import EventsCopyPlan, copy_out, sorted_rows_sql
from exports.renderers import SheetXml
from exports.renderers.xlsx import STYLE_DATETIME, XLSX_MAX_ROWS, XLSX_MAX_STRING
from insights import compiler

_FALL_BACK = "(1 / (team_id < 0)::int)::text"  # row-dependent, so the planner can't fold it
_INLINE = "'<c t=\"inlineStr\"><is><t xml:space=\"preserve\">' || {text} || '</t></is></c>'"
_ISO_DATETIME = r"'^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$'"
_ZONED = r"'(Z|[+-]\d{2}:?\d{2})$'"
# Characters XML can't hold (Excel writes them as _xHHHH_) and text that reads as such an escape.
_EXCEL_ESCAPED = r"'[\x01-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_'"
_NEEDS_WORK = r"'[&<>\n\x01-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_'"
_ESCAPED = ("replace(replace(replace(replace(left({v}, " + str(XLSX_MAX_STRING) + "), '&', '&amp;'), '<', '&lt;'), "
            "'>', '&gt;'), E'\\n', '&#10;')")
# Serial days since 1899-12-31, plus Excel's phantom 1900-02-29 after February 1900 (XlsxWriter's rule).
_SERIAL = ("'<c s=\"" + str(STYLE_DATETIME) + "\"><v>' || round(EXTRACT(EPOCH FROM {ts}) / 86400 + "
           "CASE WHEN {ts} > '1900-02-28' THEN 25569 ELSE 25568 END, 11)::text || '</v></c>'")
# Python's datetime parser refuses hour 24 and second 60, which PostgreSQL's accepts.
_DATE_STRING = (
    "CASE WHEN pg_input_is_valid({v}, 'timestamptz') AND substr({v}, 12, 2) < '24' "
    "AND (substr({v}, 17, 1) <> ':' OR substr({v}, 18, 2) < '60') THEN {serial} ELSE {inline} END"
)


def _literal(text: str) -> str:
    """Text spliced into a str.format template, braces kept."""
    return text.replace("{", "{{").replace("}", "}}")


_STRING = (
    "CASE WHEN {v} IS NULL THEN '<c/>' "
    "WHEN substr({v}, 5, 1) = '-' AND {v} ~ " + _literal(_ISO_DATETIME) + " THEN {date} "
    "WHEN {v} ~ " + _literal(_NEEDS_WORK) + " OR octet_length({v}) > " + str(XLSX_MAX_STRING) + " THEN "
    "CASE WHEN {v} ~ " + _literal(_EXCEL_ESCAPED) + " THEN " + _FALL_BACK + " ELSE {escaped} END "
    "ELSE {inline} END"
)
_PROPERTY = (
    "CASE jsonb_typeof({p}) WHEN 'string' THEN {string} "
    "WHEN 'number' THEN '<c><v>' || ({p})::text || '</v></c>' "
    "WHEN 'boolean' THEN CASE WHEN {p} = 'true'::jsonb THEN '<c t=\"b\"><v>1</v></c>' "
    "ELSE '<c t=\"b\"><v>0</v></c>' END "
    "WHEN 'array' THEN CASE WHEN ({p})::text ~ '[0-9]\\.[0-9]|[0-9]{{19}}' THEN " + _FALL_BACK + " ELSE {array} END "
    "WHEN 'object' THEN " + _FALL_BACK + " ELSE '<c/>' END"
)
_COPY = "COPY ({select}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"


def events_xlsx_sheet(*, plan: EventsCopyPlan, row_limit: int, on_done: Callable[[int, bool], None]) -> SheetXml:
    """The plan's rows as a sheet of PostgreSQL-rendered rows. Streaming starts when the writer reads
    the chunks; when they end, `on_done(rows, truncated)`. A value only the streamed path renders
    raises CopyFallback while streaming."""
    cells = compiler.Sql("'<row>' || ")
    for index, column in enumerate(plan.columns):
        cell = _cell(column)
        cells.add((" || " if index else "") + cell.text, *cell.params)
    cells.add(" || '</row>'")
    limit = min(row_limit, XLSX_MAX_ROWS - 2)  # the header and the truncation note need their rows
    select = sorted_rows_sql(cells=cells, width=1, where=plan.where, order=plan.order)
    sql = _COPY.format(select=select.text)

    def chunks() -> Iterator[bytes]:
        blocks = copy_out(sql, [*select.params, limit + 1], limit)
        yield from blocks
        plan.log()
        on_done(blocks.rowcount, blocks.truncated)

    return SheetXml(columns=plan.columns, chunks=chunks())


def _string(value: str) -> str:
    inline = _INLINE.format(text=value)
    timestamp = _timestamp_of(value)
    # A time whose offset carries it out of years 1 to 9999 stays text, as the Python writer leaves it.
    # Offsets are under a day, so only those two years can; the others skip the casts of the check.
    serial = (f"CASE WHEN substr({value}, 1, 4) NOT IN ('0001', '9999') OR ({timestamp} >= '0001-01-01' "
              f"AND {timestamp} < '10000-01-01') THEN {_SERIAL.format(ts=timestamp)} ELSE {inline} END")
    date = _DATE_STRING.format(v=value, serial=serial, inline=inline)
    return _STRING.format(v=value, date=date, escaped=_INLINE.format(text=_ESCAPED.format(v=value)), inline=inline)


def _timestamp_of(value: str) -> str:
    """An ISO string as naive UTC wall time: zoned ones converted, naive ones taken as written."""
    return f"(CASE WHEN {value} ~ {_ZONED} THEN ({value})::timestamptz AT TIME ZONE 'UTC' ELSE ({value})::timestamp END)"


def _cell(column: str) -> compiler.Sql:
    if column == "uuid":
        return compiler.Sql(_INLINE.format(text="uuid::text"))
    if column == "timestamp":
        return compiler.Sql(_SERIAL.format(ts="timestamp"))
    if column in ("event", "distinct_id"):
        return compiler.Sql(_string(column))
    key = column.removeprefix("properties.")
    text = _PROPERTY.format(p="(properties -> %s)", string=_string("(properties ->> %s)"),
                            array=_string("((properties -> %s)::text)"))
    return compiler.Sql(text, [key] * text.count("%s"))
