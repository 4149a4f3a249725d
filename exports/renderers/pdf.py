"""PDF reports with reportlab: a header of facts, then per insight its chart and a data table whose
header row repeats on every page it spans."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import matplotlib
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus.flowables import KeepTogether

from exports.renderers.charts import INSIGHT_SIZE, _png, draw_chart, insight_figure
from exports.renderers.tabular import csv_text, header_label
from exports.renderers.types import ReportHeader, Section, truncation_note

PAGE = landscape(A4)
MARGIN = 12 * mm
MAX_PDF_COLUMNS = 10
_CELL_CHARS = 48


@lru_cache(maxsize=1)
def _font() -> str:
    """DejaVu Sans (shipped inside matplotlib) so non-Latin names print; Helvetica if it is missing."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(path)))
    except Exception:  # noqa: BLE001 - any font problem falls back to a built-in font
        return "Helvetica"
    return "DejaVuSans"


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    font = _font()
    return {
        "title": ParagraphStyle("ExportTitle", parent=base["Title"], fontName=font, alignment=0, fontSize=18),
        "h2": ParagraphStyle("ExportH2", parent=base["Heading2"], fontName=font),
        "body": ParagraphStyle("ExportBody", parent=base["Normal"], fontName=font, fontSize=9, leading=12),
        "warn": ParagraphStyle("ExportWarn", parent=base["Normal"], fontName=font, fontSize=9,
                               textColor=colors.HexColor("#b42318")),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chart_image(section: Section) -> Image:
    figure = insight_figure()
    draw_chart(figure.add_subplot(), section.chart, section.title)
    width = PAGE[0] - 2 * MARGIN
    height = width * INSIGHT_SIZE[1] / INSIGHT_SIZE[0]
    if height > PAGE[1] * 0.6:
        height = PAGE[1] * 0.6
        width = height * INSIGHT_SIZE[0] / INSIGHT_SIZE[1]
    return Image(io.BytesIO(_png(figure)), width=width, height=height)


def _data_table(section: Section) -> LongTable | None:
    columns = section.table.columns[:MAX_PDF_COLUMNS]
    data = [[header_label(c)[:_CELL_CHARS] for c in columns]]
    data += [[csv_text(v)[:_CELL_CHARS] for v in row[: len(columns)]] for row in section.table.rows]
    if len(data) == 1:
        return None
    width = (PAGE[0] - 2 * MARGIN) / max(len(columns), 1)
    table = LongTable(data, colWidths=[width] * len(columns), repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), _font()),
        ("FONTSIZE", (0, 0), (-1, -1), 7),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef0f5")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#9aa1ad")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#fafafa")]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def render_pdf(sections: list[Section], header: ReportHeader) -> bytes:
    """A landscape A4 report: header facts, then each section's chart and data table, in order."""
    styles = _styles()
    story: list = [Paragraph(_escape(header.title), styles["title"])]
    story += [Paragraph(f"<b>{_escape(label)}:</b> {_escape(value)}", styles["body"]) for label, value in header.lines()]
    if header.truncated:
        story.append(Paragraph(_escape(truncation_note(header.row_limit)), styles["warn"]))
    for index, section in enumerate(sections):
        if index:
            story.append(PageBreak())
        story += [Spacer(1, 4 * mm), KeepTogether([Paragraph(_escape(section.title), styles["h2"]), _chart_image(section)])]
        if len(section.table.columns) > MAX_PDF_COLUMNS:
            story.append(Paragraph(f"Showing the first {MAX_PDF_COLUMNS} of {len(section.table.columns)} columns; "
                                   "the CSV and XLSX exports have them all.", styles["body"]))
        table = _data_table(section)
        if table is not None:
            story += [Spacer(1, 3 * mm), table]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN, title=header.title, author="posthog-core")
    document.build(story, onFirstPage=_footer(header), onLaterPages=_footer(header))
    return out.getvalue()


def _footer(header: ReportHeader):
    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 7)
        canvas.setFillColor(colors.HexColor("#777777"))
        text = f"{header.project} · {header.title} · page {document.page}"
        canvas.drawString(MARGIN, MARGIN / 2, text[:160])
        canvas.restoreState()

    return draw
