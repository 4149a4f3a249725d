"""PNG charts drawn server-side with matplotlib's Agg backend (no browser), at PostHog's 2x scale."""

from __future__ import annotations

import math
import struct
import threading
import zlib
from itertools import islice

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from exports.renderers.tabular import csv_text, header_label
from exports.renderers.types import Chart, Section

# PostHog's exporter screenshots at device scale factor 2: 100 dpi layouts rendered at 200 dpi.
SCALE_DPI = 200
INSIGHT_SIZE = (8.0, 5.0)  # 800 x 500 CSS px, as PostHog's 800 px wide insight exports
TILE_SIZE = (6.4, 4.0)
TABLE_IMAGE_ROWS = 25
TABLE_IMAGE_COLUMNS = 8
_CELL_CHARS = 32
MARKER_POINTS = 31  # a point marker per value up to a month of days
LEGEND_COLUMNS = 3
LEGEND_CHARS = 36
TEXT_CACHE_SIZE = 4_096  # extents and bitmaps, mostly a few KB: some MB, tens at worst
_TEXT_CACHE: dict[tuple, object] = {}
_RENDERERS = threading.local()
_PALETTE = ["#1d4aff", "#621da6", "#42827e", "#ce0e74", "#f14f58", "#7c440e", "#529a0a", "#0476fb", "#fe729e"]


def draw_chart(ax, chart: Chart | None, title: str) -> None:
    """Draw one insight on a matplotlib Axes: lines over dates, bars per series, or a table."""
    # An explicit `y` skips matplotlib's title placement pass (a tight-bbox of the whole x axis).
    ax.set_title(title, fontsize=11, loc="left", fontweight="bold", y=1.0, pad=8)
    if chart is None or (chart.kind != "table" and not chart.series):
        ax.axis("off")
        ax.text(0.5, 0.5, "No data", ha="center", va="center", fontsize=10, color="#777777")
    elif chart.kind == "table":
        _draw_table(ax, chart)
    elif chart.kind == "bar":
        _draw_bars(ax, chart)
    else:
        _draw_lines(ax, chart)


def _draw_lines(ax, chart: Chart) -> None:
    positions = list(range(len(chart.x_labels)))
    for index, series in enumerate(chart.series):
        ax.plot(positions, series.values[: len(positions)], label=series.label, linewidth=1.6,
                color=_PALETTE[index % len(_PALETTE)], marker="o" if len(positions) <= MARKER_POINTS else None, markersize=2.5)
    ticks = positions[:: max(1, math.ceil(len(positions) / 8))]
    ax.set_xticks(ticks)
    ax.set_xticklabels([chart.x_labels[p] for p in ticks], rotation=30, ha="right", fontsize=7)
    _finish_axes(ax, chart, "Date")


def _draw_bars(ax, chart: Chart) -> None:
    labels = [series.label for series in chart.series]
    totals = [sum(v for v in series.values if isinstance(v, int | float)) for series in chart.series]
    ax.bar(range(len(totals)), totals, color=[_PALETTE[i % len(_PALETTE)] for i in range(len(totals))],
           label=None)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([label[:24] for label in labels], rotation=30, ha="right", fontsize=7)
    _finish_axes(ax, chart, "Series", legend=False)


def _finish_axes(ax, chart: Chart, x_label: str, legend: bool = True) -> None:
    ax.set_xlabel(x_label, fontsize=8)
    ax.set_ylabel(chart.y_label, fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_ylim(bottom=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend and chart.series:
        _legend(ax, chart)


def _legend(ax, chart: Chart) -> None:
    """A legend in the top left, three series a row: each a sample of its line and its label, placed
    on a fixed grid. matplotlib's Legend measures and packs every entry at draw time, which cost a
    fifth of the whole render."""
    columns = min(len(chart.series), LEGEND_COLUMNS)
    width = 0.98 / columns
    with_markers = len(chart.x_labels) <= MARKER_POINTS
    for index, series in enumerate(chart.series):
        row, column = divmod(index, columns)
        x, y = 0.01 + column * width, 0.975 - row * 0.05
        ax.add_artist(Line2D([x, x + 0.03], [y, y], transform=ax.transAxes, color=_PALETTE[index % len(_PALETTE)],
                             linewidth=1.6, marker="o" if with_markers else None, markevery=[1], markersize=2.5))
        label = series.label if len(series.label) <= LEGEND_CHARS else series.label[: LEGEND_CHARS - 1] + "…"
        ax.text(x + 0.04, y, label, transform=ax.transAxes, fontsize=7, va="center", ha="left")


def _draw_table(ax, chart: Chart) -> None:
    ax.axis("off")
    table = chart.table
    if table is None:
        return
    columns = table.columns[:TABLE_IMAGE_COLUMNS]
    rows = [[csv_text(v)[:_CELL_CHARS] for v in row[: len(columns)]] for row in islice(table.rows, TABLE_IMAGE_ROWS)]
    if not rows:
        ax.text(0.5, 0.5, "No rows", ha="center", va="center", fontsize=10, color="#777777")
        return
    drawn = ax.table(cellText=rows, colLabels=[header_label(c)[:_CELL_CHARS] for c in columns],
                     loc="upper center", cellLoc="left")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(6)
    drawn.scale(1, 1.1)


def insight_figure() -> Figure:
    """One chart, fixed margins (room for rotated date labels): constrained layout would cost an
    extra full layout pass, a third of the render time."""
    figure = Figure(figsize=INSIGHT_SIZE, facecolor="white")
    figure.subplots_adjust(left=0.08, right=0.98, top=0.92, bottom=0.17)
    return figure


def _line_axes():
    """This thread's line-chart axes, emptied for the next chart. Building a figure, its axes and
    their tick objects cost a quarter of a chart; a line chart sets everything it draws (title,
    labels, ticks, limits, legend), so only the previous chart's artists go."""
    ax = getattr(_RENDERERS, "line_axes", None)
    if ax is None:
        ax = _RENDERERS.line_axes = insight_figure().add_subplot()
        return ax
    for artist in [*ax.lines, *ax.texts, *ax.artists]:
        artist.remove()
    ax.relim()
    ax.set_autoscale_on(True)
    return ax


def _png(figure: Figure) -> bytes:
    """Draw at 2x and encode the pixels ourselves: savefig's PIL path (an RGBA copy, adaptive row
    filters, metadata) cost as much as drawing. The figure is opaque white, so RGB loses nothing."""
    figure.set_dpi(SCALE_DPI)
    canvas = _Canvas(figure)
    canvas.draw()
    return png_rgb(np.asarray(canvas.buffer_rgba()))


class _TextCachingRenderer(RendererAgg):
    """Agg with text measurements and rendered strings remembered across charts.

    matplotlib shapes every string through FreeType and libraqm, and renders it glyph by glyph, on
    every draw (most of a chart's draw time), although a chart's strings (dates, tick numbers, axis
    labels, series names) repeat from chart to chart. Both depend only on the string, the font
    properties, the dpi, the hinting and antialiasing, which make the key.
    """

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = ("extent", s, _font_key(prop), self.dpi, mpl.rcParams["text.hinting"])
        if (extent := _TEXT_CACHE.get(key)) is None:
            extent = _TEXT_CACHE[key] = super().get_text_width_height_descent(s, prop, ismath)
            _trim_text_cache()
        return extent

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        antialiased = bool(gc.get_antialiased())
        key = ("image", s, _font_key(prop), self.dpi, mpl.rcParams["text.hinting"], features, language, antialiased)
        if (entry := _TEXT_CACHE.get(key)) is None:
            # The whole string rendered once into a bitmap (matplotlib's own approach before 3.11),
            # then composited per draw, rotated by Agg: not FreeType once per glyph per draw.
            font = self._prepare_font(prop)
            font.set_text(s, 0, flags=get_hinting_flag(), features=features, language=language)
            font.draw_glyphs_to_bitmap(antialiased=antialiased)
            offset_x, offset_y = font.get_bitmap_offset()
            entry = _TEXT_CACHE[key] = (np.array(font.get_image()), offset_x / 64, offset_y / 64,
                                        font.get_descent() / 64)
            _trim_text_cache()
        image, offset_x, offset_y, descent = entry
        if image.size == 0:
            return None
        # y grows downwards here; the descent turns with the text.
        x = round(x + offset_x + descent * math.sin(math.radians(angle)))
        y = round(y + offset_y + descent * math.cos(math.radians(angle)))
        self._renderer.draw_text_image(image, x, y + 1, angle, gc)
        return None


def _font_key(prop) -> tuple:
    return (tuple(prop.get_family()), prop.get_slant(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
            prop.get_size(), prop.get_file(), prop.get_math_fontfamily())


def _trim_text_cache() -> None:
    if len(_TEXT_CACHE) > TEXT_CACHE_SIZE:
        _TEXT_CACHE.clear()


class _Canvas(FigureCanvasAgg):
    """An Agg canvas drawing with this thread's renderer of the same size: the text caches above, and
    no new 1600x1000 buffer per chart (draw() clears the renderer before use)."""

    def get_renderer(self):
        width, height = self.get_width_height(physical=True)
        key = (width, height, self.figure.dpi)
        renderers = _RENDERERS.__dict__.setdefault("by_size", {})
        if key not in renderers:
            renderers.clear()  # one size at a time per thread: a dashboard grid's size varies
            renderers[key] = _TextCachingRenderer(width, height, self.figure.dpi)
        self.renderer, self._lastKey = renderers[key], key
        return self.renderer


def png_rgb(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an (height, width, 4) RGBA array, alpha dropped. Rows carry filter 0
    (none): a chart is mostly flat colour, which zlib level 1 already squeezes ~50x."""
    height, width = pixels.shape[:2]
    raw = np.zeros((height, width * 3 + 1), dtype=np.uint8)
    raw[:, 1:] = pixels[:, :, :3].reshape(height, width * 3)
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)),
        _png_chunk(b"IEND", b""),
    ])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_png(sections: list[Section], title: str = "") -> bytes:
    """One section → one chart image (800x500 at 2x). Several (a dashboard) → a grid of tiles, two
    per row, in order, under the dashboard's title."""
    if len(sections) <= 1:
        section = sections[0] if sections else None
        chart = section.chart if section else None
        if chart is not None and chart.kind == "line" and chart.series:
            ax = _line_axes()
        else:
            ax = insight_figure().add_subplot()
        draw_chart(ax, chart, section.title if section else title)
        return _png(ax.figure)
    columns = 2
    rows = math.ceil(len(sections) / columns)
    height = TILE_SIZE[1] * rows + 0.6
    figure = Figure(figsize=(TILE_SIZE[0] * columns, height), facecolor="white")
    figure.subplots_adjust(left=0.05, right=0.98, top=1 - 0.9 / height, bottom=0.9 / height, hspace=0.6, wspace=0.18)
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.01, ha="left")
    for index, section in enumerate(sections):
        draw_chart(figure.add_subplot(rows, columns, index + 1), section.chart, section.title)
    return _png(figure)
