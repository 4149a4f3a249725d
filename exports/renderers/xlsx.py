"""XLSX written directly: the workbook's few XML parts, and each sheet's rows streamed into a deflated
zip member with constant memory.

XlsxWriter spends most of an export in per-cell Python calls; a sheet here is a stream of `<row>`
elements, built by a tight per-row function for Python rows, or already rendered by PostgreSQL
(SheetXml, see exports.copy_xlsx), so the writer only compresses bytes. Cells carry no `r`
reference (optional in SpreadsheetML: a cell follows the one before it, `<c/>` keeps an empty one's
place) and strings are inline, so nothing is kept per string or per row. Typing follows XlsxWriter's:
numbers and booleans as such, datetimes (and ISO datetime strings) as UTC serial dates, control
characters as Excel's `_xHHHH_` escapes.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from exports.renderers.tabular import csv_text, header_label
from exports.renderers.types import ReportHeader, Table, truncation_note

XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_STRING = 32_767
# zlib level 1: a sheet's XML is repetitive, so it still shrinks ~8x at a fraction of level 6's time.
COMPRESS_LEVEL = 1
STYLE_DATETIME, STYLE_DATE, STYLE_BOLD = 1, 2, 3
_FLUSH_CHARS = 1 << 16
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile("_x[0-9a-fA-F]{4}_")
_EXCEL_EPOCH = datetime(1899, 12, 31)

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_HEAD = f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


@dataclass
class SheetXml:
    """A sheet whose rows are already SpreadsheetML: `chunks` are bytes of whole `<row>` elements."""

    columns: list[str]
    chunks: Iterable[bytes]


def sheet_name(title: str, used: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub(" ", title or "Sheet").strip("' ")[:28] or "Sheet"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base[:27 - len(str(n))]} ({n})"
    used.add(name.lower())
    return name


def write_xlsx(out: IO[bytes], sheets: list[tuple[str, Table | SheetXml]], header: ReportHeader) -> int:
    """One typed sheet per table, then an `About` sheet; returns the data rows written. The data
    comes first and is the active sheet because readers (pandas.read_excel, openpyxl's `active`, most
    spreadsheet imports) take the first sheet. A truncated export says so on About and under the last
    row of each sheet. About is written last, once the streamed rows have set the header's counts."""
    used = {"about"}  # a data sheet titled "About" becomes "About (2)"
    names = []
    total = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as book:
        for index, (title, table) in enumerate(sheets, start=1):
            names.append(sheet_name(title, used))
            with book.open(f"xl/worksheets/sheet{index}.xml", "w") as part:
                total += _write_sheet(part, table, header, selected=index == 1)
        names.append("About")
        _write_about(book, header, f"xl/worksheets/sheet{len(names)}.xml", selected=len(names) == 1)
        for path, text in _package_parts(names).items():
            book.writestr(path, text)
    return total


def _sheet_head(selected: bool) -> str:
    # The active sheet's tab is also the selected one, as Excel writes it.
    views = '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>' if selected else ""
    return f"{_SHEET_HEAD}{views}"


def _write_sheet(part: IO[bytes], table: Table | SheetXml, header: ReportHeader, *, selected: bool) -> int:
    part.write(f"{_sheet_head(selected)}<sheetData>".encode())
    part.write(_row([_string_cell(label, STYLE_BOLD) for label in map(header_label, table.columns)]).encode())
    if isinstance(table, SheetXml):
        for chunk in table.chunks:
            part.write(chunk)
        count = header.rows_exported
    else:
        count = _write_rows(part, table)
    if header.truncated:
        part.write(f'<row r="{count + 3}">{_string_cell(truncation_note(header.row_limit), STYLE_BOLD)}</row>'.encode())
    part.write(b"</sheetData></worksheet>")
    return count


def _write_rows(part: IO[bytes], table: Table) -> int:
    buffer: list[str] = []
    size = count = 0
    for row in table.rows:
        if count >= XLSX_MAX_ROWS - 2:  # the header and the truncation note need their rows
            break
        xml = "<row>" + "".join([cell(value) for value in row]) + "</row>"
        buffer.append(xml)
        size += len(xml)
        count += 1
        if size >= _FLUSH_CHARS:
            part.write("".join(buffer).encode())
            buffer, size = [], 0
    part.write("".join(buffer).encode())
    return count


def _write_about(book: zipfile.ZipFile, header: ReportHeader, path: str, *, selected: bool) -> None:
    rows = "".join(_row([_string_cell(label, STYLE_BOLD), _string_cell(value)]) for label, value in header.lines())
    book.writestr(path, (
        f'{_sheet_head(selected)}<cols><col min="1" max="1" width="14" customWidth="1"/>'
        f'<col min="2" max="2" width="80" customWidth="1"/></cols><sheetData>{rows}</sheetData></worksheet>'))


def _row(cells: list[str]) -> str:
    return "<row>" + "".join(cells) + "</row>"


def render_xlsx(sheets: list[tuple[str, Table | SheetXml]], header: ReportHeader) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, sheets, header)
    return out.getvalue()


def cell(value: Any) -> str:
    """One `<c>` for a Python value. Exact type checks first: this runs once per exported cell."""
    kind = type(value)
    if kind is str:
        if len(value) >= 16 and value[4] == "-" and value[10] in "T " and (moment := as_datetime(value)):
            return _date_cell(moment, STYLE_DATETIME)
        return _string_cell(value)
    if value is None:
        return "<c/>"
    if kind is bool:
        return f'<c t="b"><v>{int(value)}</v></c>'
    if kind is int or (kind is float and math.isfinite(value)):
        return f"<c><v>{value!r}</v></c>"
    if isinstance(value, datetime):
        moment = as_datetime(value)
        return _date_cell(moment, STYLE_DATETIME) if moment else _string_cell(value.isoformat())
    if isinstance(value, date):
        return _date_cell(datetime(value.year, value.month, value.day), STYLE_DATE)
    if isinstance(value, int | float) and math.isfinite(value):  # subclasses (a bool was caught above)
        return f"<c><v>{float(value)!r}</v></c>"
    return _string_cell(csv_text(value))


def as_datetime(value: Any) -> datetime | None:
    """A datetime, or an ISO datetime string, as naive UTC wall time (Excel has no time zones)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except OverflowError:  # an offset that carries year 1 or 9999 off the calendar: left as text
        return None


def _date_cell(moment: datetime, style: int) -> str:
    delta = moment - _EXCEL_EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    if serial > 59:  # Excel counts 1900-02-29, which never was (Lotus 1-2-3's leap year bug)
        serial += 1
    return f'<c s="{style}"><v>{serial!r}</v></c>'


def _string_cell(value: str, style: int = 0) -> str:
    text = value[:XLSX_MAX_STRING]
    if _NEEDS_ESCAPE.search(text):
        text = xml_text(text)
    styled = f' s="{style}"' if style else ""
    return f'<c{styled} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def xml_text(text: str) -> str:
    """XML-escaped cell text; control characters (not allowed in XML) become Excel's `_xHHHH_`, and
    a literal `_xHHHH_` is escaped itself so Excel shows it as written."""
    text = _EXCEL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _package_parts(names: list[str]) -> dict[str, str]:
    sheets = "".join(f'<sheet name="{xml_text(name)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, name in enumerate(names, start=1))
    sheet_rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1))
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1))
    return {
        "[Content_Types].xml": (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"),
        "_rels/.rels": (
            f'{_XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{sheet_rels}<Relationship Id="rId{len(names) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"),
        "xl/styles.xml": _STYLES,
    }
