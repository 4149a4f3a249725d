"""One export's data, shaped for each format: a single table (CSV, XLSX), a sheet per dashboard tile,
chart sections (PNG, PDF) or the JSON payload. Reads insights through `insights.services` only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import IO, Any

from rest_framework.exceptions import ValidationError

from exports.copy_csv import events_copy_plan, events_csv_copy
from exports.copy_path import events_path_csv_copy
from exports.copy_xlsx import events_xlsx_sheet
from exports.models import ExportedAsset
from exports.renderers import Section, SheetXml, Table
from exports.sources import (
    ExportSourceError,
    RowCount,
    dict_rows_table,
    path_rows,
    result_table,
    rows_table,
    section_for,
    unwrap_query,
    unwrap_result,
)
from insights import services as insight_services
from insights.models import DashboardTile


def _then(rows: Any, callback: Callable[[], None]) -> Iterator[Any]:
    yield from rows
    callback()


class ExportSource:
    """The asset's input: `insight` (under `dashboard`'s filters when both are set), `dashboard`,
    `export_context.source` or `export_context.path`, in that order of precedence."""

    def __init__(self, *, asset: ExportedAsset, auth: Any, counter: RowCount):
        self.asset, self.auth, self.counter = asset, auth, counter
        self.context = asset.export_context if isinstance(asset.export_context, dict) else {}
        self.columns = self.context.get("columns") or None

    # -- shapes per format -------------------------------------------------------------------
    def single_table(self) -> Table:
        """One table, rows capped by the counter and streamed where the source allows."""
        asset, counter = self.asset, self.counter
        if asset.insight is not None:
            return self._capped(result_table(self._insight_result(asset.insight), self.columns))
        if asset.dashboard is not None:
            raise ExportSourceError("A dashboard has one table per insight: export it as XLSX, PDF or PNG.")
        if "path" in self.context:
            rows = path_rows(team=asset.team, user=asset.created_by, auth=self.auth,
                             raw_path=self.context["path"], counter=counter)
            return dict_rows_table(rows, self.columns)
        query = self._source_query()
        if unwrap_query(query).get("kind") == "EventsQuery":
            columns, rows = insight_services.events_query_stream(team=asset.team, query=query,
                                                                 row_limit=counter.limit + 1)
            return rows_table(columns, counter.cap(rows), self.columns)
        return self._capped(result_table(unwrap_result(self._query_result(query)), self.columns))

    def copy_csv(self, out: IO[bytes]) -> bool:
        """CSV of a plain-column EventsQuery, or of a path to the events list, written by PostgreSQL's
        COPY; False when not applicable."""
        asset, query = self.asset, self.context.get("source")
        if asset.insight is not None or asset.dashboard is not None:
            return False
        if "path" in self.context:
            written = events_path_csv_copy(team=asset.team, user=asset.created_by, auth=self.auth,
                                           raw_path=self.context["path"], columns=self.columns, out=out,
                                           row_limit=self.counter.limit)
        elif isinstance(query, dict):
            written = events_csv_copy(team=asset.team, query=query, columns=self.columns, out=out,
                                      row_limit=self.counter.limit)
        else:
            return False
        if written is None:
            return False
        self.counter.count, self.counter.truncated = written
        return True

    def copy_xlsx_sheets(self, on_done: Callable[[], None]) -> list[tuple[str, SheetXml]] | None:
        """The sheet of a plain-column EventsQuery rendered by PostgreSQL (exports.copy_xlsx); None
        when not applicable. Streaming may raise CopyFallback: then render `sheets()` instead."""
        asset, query = self.asset, self.context.get("source")
        if asset.insight is not None or asset.dashboard is not None or "path" in self.context:
            return None
        if not isinstance(query, dict):
            return None
        plan = events_copy_plan(team=asset.team, query=query, columns=self.columns)
        if plan is None:
            return None

        def done(count: int, truncated: bool) -> None:
            self.counter.count, self.counter.truncated = count, truncated
            on_done()

        return [(self.title(), events_xlsx_sheet(plan=plan, row_limit=self.counter.limit, on_done=done))]

    def sheets(self, on_done: Callable[[], None]) -> list[tuple[str, Table]]:
        if self.asset.dashboard is not None and self.asset.insight is None:
            sheets = [(section.title, section.table) for section in self._tile_sections(cap=None)]
        else:
            sheets = [(self.title(), self.single_table())]
        return [(title, Table(columns=table.columns, rows=_then(table.rows, on_done))) for title, table in sheets]

    def sections(self) -> list[Section]:
        asset = self.asset
        if asset.insight is not None:
            return [self._insight_section(asset.insight)]
        if asset.dashboard is not None:
            return self._tile_sections(cap=self.counter)
        if "path" in self.context:
            table = self.single_table()
            rows = list(table.rows)
            return [section_for(title=self.title(), query=None, result={"columns": table.columns, "results": rows},
                                row_cap=self.counter.limit)]
        query = self._source_query()
        result = unwrap_result(self._query_result(query))
        self._count(result)
        return [section_for(title=self.title(), query=query, result=result, row_cap=self.counter.limit)]

    def payload(self) -> Any:
        asset = self.asset
        if asset.insight is not None:
            result = insight_services.insight_result(insight=asset.insight, dashboard=asset.dashboard)
            self._count(result.get("result"))
            return result
        if asset.dashboard is not None:
            return {"id": asset.dashboard.id, "name": asset.dashboard.name,
                    "tiles": [{"insight": tile.insight_id, "name": _insight_title(tile.insight),
                               **self._safe_result(tile.insight)} for tile in self._tiles()]}
        if "path" in self.context:
            return {"results": list(path_rows(team=asset.team, user=asset.created_by, auth=self.auth,
                                              raw_path=self.context["path"], counter=self.counter))}
        result = self._query_result(self._source_query())
        self._count(unwrap_result(result))
        return result

    # -- header facts --------------------------------------------------------------------------
    def title(self) -> str:
        asset = self.asset
        if asset.insight is not None:
            return _insight_title(asset.insight)
        if asset.dashboard is not None:
            return asset.dashboard.name or "Dashboard"
        filename = self.context.get("filename")
        return filename if isinstance(filename, str) and filename else "Export"

    def date_range(self) -> str:
        filters = (self.asset.dashboard.filters or {}) if self.asset.dashboard is not None else {}
        query = self._query
        date_range = query.get("dateRange") if isinstance(query.get("dateRange"), dict) else {}
        start = filters.get("date_from") or date_range.get("date_from") or query.get("after")
        end = filters.get("date_to") or date_range.get("date_to") or query.get("before")
        if not start and not end:
            return ""
        return f"{start or 'start'} to {end or 'now'}"

    def filters(self) -> str:
        query = self._query
        facts = {key: query[key] for key in ("properties", "breakdownFilter", "event", "where") if query.get(key)}
        if "path" in self.context:
            facts["path"] = self.context["path"]
        return json.dumps(facts, default=str, ensure_ascii=False)[:500] if facts else ""

    # -- helpers ------------------------------------------------------------------------------
    @cached_property
    def _query(self) -> dict:
        if self.asset.insight is not None:
            return unwrap_query(self.asset.insight.query)
        return unwrap_query(self.context.get("source"))

    def _source_query(self) -> dict:
        query = self.context.get("source")
        if not isinstance(query, dict):
            raise ExportSourceError("export_context needs a `source` query or a `path`.")
        return query

    def _query_result(self, query: dict) -> dict:
        return insight_services.query_execute(team=self.asset.team, query=query, user=self.asset.created_by,
                                              source="export")

    def _insight_result(self, insight) -> Any:
        if not insight.query:
            raise ExportSourceError("This insight has no query to export.")
        return insight_services.insight_result(insight=insight, dashboard=self.asset.dashboard).get("result")

    def _insight_section(self, insight) -> Section:
        result = self._insight_result(insight)
        self._count(result)
        query = insight_services.dashboard_query(query=insight.query, dashboard=self.asset.dashboard)
        return section_for(title=_insight_title(insight), query=query, result=result, row_cap=self.counter.limit)

    def _tiles(self) -> list[DashboardTile]:
        tiles = DashboardTile.objects.filter(dashboard=self.asset.dashboard, deleted=False, insight__deleted=False)
        return sorted(tiles.select_related("insight"), key=_tile_position)

    def _tile_sections(self, cap: RowCount | None) -> list[Section]:
        sections = []
        for tile in self._tiles():
            try:
                result = insight_services.insight_result(insight=tile.insight, dashboard=self.asset.dashboard)["result"]
            except ValidationError as error:
                # One broken insight doesn't sink the dashboard: its tile says what went wrong.
                sections.append(section_for(title=_insight_title(tile.insight), query=None,
                                            result=[{"error": str(error.detail)}], row_cap=self.counter.limit))
                continue
            table = self._capped(result_table(result))
            if cap is not None:
                table = Table(columns=table.columns, rows=list(table.rows))
            section = section_for(title=_insight_title(tile.insight), query=tile.insight.query, result=result,
                                  row_cap=self.counter.limit)
            sections.append(Section(title=section.title, chart=section.chart, table=table))
        return sections

    def _safe_result(self, insight) -> dict:
        try:
            return {"result": insight_services.insight_result(insight=insight, dashboard=self.asset.dashboard)["result"]}
        except ValidationError as error:
            return {"result": None, "error": str(error.detail)}

    def _capped(self, table: Table) -> Table:
        return Table(columns=table.columns, rows=self.counter.cap(table.rows))

    def _count(self, result: Any) -> None:
        rows = result.get("results") if isinstance(result, dict) else result
        if isinstance(rows, list):
            self.counter.count += min(len(rows), self.counter.limit)
            self.counter.truncated = self.counter.truncated or len(rows) > self.counter.limit


def _insight_title(insight) -> str:
    return insight.name or insight.derived_name or "Insight"


def _tile_position(tile: DashboardTile) -> tuple:
    layout = (tile.layouts or {}).get("sm") if isinstance(tile.layouts, dict) else None
    layout = layout if isinstance(layout, dict) else {}
    return (_int(layout.get("y")), _int(layout.get("x")), tile.id)


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 10**9

