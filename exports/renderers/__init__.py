"""Pure renderers: rows and chart data in, bytes out. No ORM, request or settings access here."""

from exports.renderers.charts import render_png
from exports.renderers.pdf import render_pdf
from exports.renderers.tabular import (
    NO_DATA_ROW,
    flatten,
    header_label,
    render_csv,
    render_json,
    table_from_dicts,
    trends_table,
    write_csv,
)
from exports.renderers.types import (
    FORMAT_EXTENSIONS,
    TABULAR_FORMATS,
    VIDEO_FORMATS,
    Chart,
    ChartSeries,
    ExportFormat,
    ReportHeader,
    Section,
    Table,
    truncation_note,
)
from exports.renderers.xlsx import SheetXml, render_xlsx, write_xlsx

__all__ = [
    "FORMAT_EXTENSIONS",
    "NO_DATA_ROW",
    "TABULAR_FORMATS",
    "VIDEO_FORMATS",
    "Chart",
    "ChartSeries",
    "ExportFormat",
    "ReportHeader",
    "Section",
    "SheetXml",
    "Table",
    "flatten",
    "header_label",
    "render_csv",
    "render_json",
    "render_pdf",
    "render_png",
    "render_xlsx",
    "table_from_dicts",
    "trends_table",
    "truncation_note",
    "write_csv",
    "write_xlsx",
]
