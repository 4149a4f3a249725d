"""The plain data the renderers take: no ORM objects, so rendering is testable without a database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models


class ExportFormat(models.TextChoices):
    PNG = "image/png", "image/png"
    PDF = "application/pdf", "application/pdf"
    CSV = "text/csv", "text/csv"
    XLSX = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    WEBM = "video/webm", "video/webm"
    MP4 = "video/mp4", "video/mp4"
    GIF = "image/gif", "image/gif"
    JSON = "application/json", "application/json"


# The file extension of each format, used in filenames (§7.1 step 5).
FORMAT_EXTENSIONS = {
    ExportFormat.PNG: "png",
    ExportFormat.PDF: "pdf",
    ExportFormat.CSV: "csv",
    ExportFormat.XLSX: "xlsx",
    ExportFormat.WEBM: "webm",
    ExportFormat.MP4: "mp4",
    ExportFormat.GIF: "gif",
    ExportFormat.JSON: "json",
}

VIDEO_FORMATS = frozenset({ExportFormat.MP4, ExportFormat.WEBM, ExportFormat.GIF})
TABULAR_FORMATS = frozenset({ExportFormat.CSV, ExportFormat.XLSX})


@dataclass
class Table:
    """Column names and rows (sequences in column order). `rows` may be a one-shot iterator."""

    columns: list[str]
    rows: Iterable[Sequence[Any]]


@dataclass
class ChartSeries:
    label: str
    values: list[float]


@dataclass
class Chart:
    """A chart to draw: `line` (series over `x_labels`), `bar` (one total per series) or `table`."""

    kind: str
    series: list[ChartSeries] = field(default_factory=list)
    x_labels: list[str] = field(default_factory=list)
    y_label: str = "Count"
    table: Table | None = None


@dataclass
class Section:
    """One insight of a report: its title, chart and data table (PDF, XLSX sheets, PNG tiles)."""

    title: str
    chart: Chart | None
    table: Table


@dataclass
class ReportHeader:
    """The facts a PDF header and an XLSX `About` sheet show."""

    title: str
    project: str
    generated_at: datetime
    date_range: str = ""
    filters: str = ""
    rows_exported: int = 0
    truncated: bool = False
    row_limit: int | None = None

    def lines(self) -> list[tuple[str, str]]:
        facts = [
            ("Project", self.project),
            ("Export", self.title),
            ("Date range", self.date_range or "Default"),
            ("Filters", self.filters or "None"),
            ("Generated", self.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
            ("Rows", str(self.rows_exported)),
        ]
        if self.truncated:
            facts.append(("Truncated", truncation_note(self.row_limit)))
        return facts


def truncation_note(row_limit: int | None) -> str:
    limit = f"{row_limit:,}" if row_limit else "the row limit"
    return f"Truncated: only the first {limit} rows were exported; narrow the query to get the rest."
