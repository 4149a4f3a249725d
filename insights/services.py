"""Query execution, cached insight results, and the writes behind insights and dashboards."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from event_definitions.services import query_log_record
from insights import filing
from insights.activity import activity_created, activity_snapshot, activity_updated
from insights.models import Dashboard, DashboardTile, Insight
from insights.query_spec import EventsQuerySpec, TrendsQuerySpec, parse_query, unwrap
from insights.selectors import events_query_rows, events_query_run, trends_query_run
from posthog_core.models import Project

CACHE_TTL = timedelta(minutes=15)


def _event_names(spec: EventsQuerySpec | TrendsQuerySpec) -> list[str]:
    if isinstance(spec, EventsQuerySpec):
        return [spec.event] if spec.event else []
    return [series.event for series in spec.series if series.event]


def query_execute(*, team: Project, query: dict, user=None, source: str = "query",
                  path: tuple[str, ...] = ("query",), embed_json: bool = False) -> dict:
    """Validate and run a query; return the body `POST /query/` answers.

    Raises ValidationError (400, `attr` naming the offending path below `path`). Records one
    query-log row with the event names the query read (the source of event-definition metrics).
    `embed_json` leaves EventsQuery property JSON as orjson fragments, for a caller that answers
    through insights.rendering.json_response; everyone else gets plain Python values.
    """
    spec = parse_query(query, list(path))
    now = timezone.now()
    if isinstance(spec, EventsQuerySpec):
        response = events_query_run(team=team, spec=spec, now=now, path=list(path), embed_json=embed_json)
    else:
        response = trends_query_run(team=team, spec=spec, now=now, path=list(path))
    query_log_record(team=team, event_names=_event_names(spec), source=source)
    return response


def events_query_stream(*, team: Project, query: dict, row_limit: int) -> tuple[list[str], Iterator[list]]:
    """Columns and a lazy iterator over every row of an EventsQuery (or a DataTableNode around one),
    read through a server-side cursor in batches, at most `row_limit` rows, in column order.

    Validation happens before this returns (400 with `attr` under `query`); `limit`/`offset` of the
    query are ignored in favour of `row_limit`, because an export wants every row.
    """
    spec = parse_query(query, ["query"])
    if not isinstance(spec, EventsQuerySpec):
        from insights.query_spec import fail

        fail(["query", "kind"], "Only EventsQuery can be streamed.", "invalid_choice")
    rows = events_query_rows(team=team, spec=spec, now=timezone.now(), row_limit=row_limit, path=["query"])
    query_log_record(team=team, event_names=_event_names(spec), source="export")
    return list(spec.select), rows


def dashboard_query(*, query: dict, dashboard: Dashboard | None) -> dict:
    """The insight's query with the dashboard's `date_from`/`date_to` replacing its own dates."""
    filters = (dashboard.filters or {}) if dashboard else {}
    overrides = {key: filters.get(key) for key in ("date_from", "date_to") if filters.get(key)}
    if not overrides or not isinstance(query, dict):
        return query
    result = copy.deepcopy(query)
    inner, _ = unwrap(result, ["query"])
    if inner.get("kind") == "TrendsQuery":
        inner["dateRange"] = {**(inner.get("dateRange") or {}), **overrides}
    elif inner.get("kind") == "EventsQuery":
        for source, target in (("date_from", "after"), ("date_to", "before")):
            if source in overrides:
                inner[target] = overrides[source]
    return result


def _cache_key(query: dict, team: Project) -> str:
    text = json.dumps([query, team.timezone], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _shape(response: dict, last_refresh: datetime, is_cached: bool) -> dict:
    shaped = {key: value for key, value in response.items() if key != "results"}
    shaped.update(result=response.get("results"), last_refresh=last_refresh, is_cached=is_cached)
    return shaped


def insight_result(*, insight: Insight, dashboard: Dashboard | None = None, tile: DashboardTile | None = None,
                   refresh: bool = False, cache_only: bool = False) -> dict:
    """`{"result", "last_refresh", "is_cached", ...}` for the insight (under the dashboard's dates).

    A cached result younger than 15 minutes for the same query and timezone is reused unless
    `refresh`; `cache_only` never computes (lists). The insight's own result is cached on the
    insight, a dashboard-filtered one on its tile (pass the already loaded `tile` to save a query).
    """
    if not insight.query:
        return {"result": None, "last_refresh": None, "is_cached": False}
    query = dashboard_query(query=insight.query, dashboard=dashboard)
    key = _cache_key(query, insight.team)
    holder = insight
    if dashboard is not None and query is not insight.query:
        holder = tile if tile is not None else (
            DashboardTile.objects.filter(dashboard=dashboard, insight=insight, deleted=False).first())
    now = timezone.now()
    fresh = holder is not None and holder.cache_key == key and holder.last_refresh and holder.cached_result is not None
    if fresh and (cache_only or (not refresh and now - holder.last_refresh < CACHE_TTL)):
        return _shape(holder.cached_result, holder.last_refresh, True)
    if cache_only:
        return {"result": None, "last_refresh": None, "is_cached": False}
    response = query_execute(team=insight.team, query=query, source="insight")
    if holder is not None:
        # update(), not save(): a refresh is not an edit (updated_at and last_modified_at stay).
        type(holder).objects.filter(pk=holder.pk).update(cached_result=response, cache_key=key, last_refresh=now)
        holder.cached_result, holder.cache_key, holder.last_refresh = response, key, now
    return _shape(response, now, False)


def _tiles_set(*, insight: Insight, dashboards: list[Dashboard]) -> None:
    """Link the insight to exactly these dashboards (a tile each), keeping existing tiles' layouts."""
    wanted = {dashboard.pk for dashboard in dashboards}
    DashboardTile.objects.filter(insight=insight).exclude(dashboard_id__in=wanted).delete()
    present = set(DashboardTile.objects.filter(insight=insight, deleted=False).values_list("dashboard_id", flat=True))
    DashboardTile.objects.bulk_create(
        [DashboardTile(dashboard_id=pk, insight=insight) for pk in sorted(wanted - present)]
    )


def insight_create(*, team: Project, user, data: dict) -> Insight:
    """Create an insight (fresh short_id), its dashboard tiles and its file-system entry, atomically."""
    data = dict(data)
    dashboards = data.pop("dashboards", None)
    folder = data.pop("_create_in_folder", None)
    with transaction.atomic():
        for attempt in range(5):
            try:
                with transaction.atomic():
                    insight = Insight.objects.create(team=team, created_by=user, last_modified_by=user, **data)
                break
            except IntegrityError:
                # An 8-character short_id collided within the project; draw another.
                if attempt == 4:
                    raise
        if dashboards:
            _tiles_set(insight=insight, dashboards=dashboards)
        if not insight.deleted:
            filing.file_entry_create(obj=insight, user=user, folder=folder)
        activity_created(obj=insight, user=user)
    return insight


def _sync_file_entry(*, obj: Insight | Dashboard, user, was_deleted: bool, old_name: str | None) -> None:
    if obj.deleted and not was_deleted:
        filing.file_entry_delete(obj=obj)
    elif was_deleted and not obj.deleted:
        filing.file_entry_create(obj=obj, user=user)
    elif not obj.deleted and str(obj) != old_name:
        filing.file_entry_rename(obj=obj)


def insight_update(*, insight: Insight, user, data: dict) -> Insight:
    """Apply validated fields; a changed query drops nothing but the cache key no longer matches,
    so the next read recomputes. Renames, soft-deletes and restores follow in the project tree."""
    data = dict(data)
    was_deleted, old_name = insight.deleted, str(insight)
    with transaction.atomic():
        before = activity_snapshot(obj=insight, data=data)
        dashboards = data.pop("dashboards", None)
        data.pop("_create_in_folder", None)
        for field, value in data.items():
            setattr(insight, field, value)
        insight.last_modified_at, insight.last_modified_by = timezone.now(), user
        insight.save()
        if dashboards is not None:
            _tiles_set(insight=insight, dashboards=dashboards)
        _sync_file_entry(obj=insight, user=user, was_deleted=was_deleted, old_name=old_name)
        activity_updated(obj=insight, user=user, before=before)
    return insight


def _tiles_update(*, dashboard: Dashboard, tiles: list[dict]) -> None:
    """Changes to tiles the serializer found on this dashboard, in order (a tile removed meanwhile,
    or earlier in the same list, is left alone)."""
    for change in tiles:
        found = DashboardTile.objects.filter(dashboard=dashboard, pk=change["id"])
        if change.get("deleted"):
            found.delete()
            continue
        fields = {field: change[field] for field in ("layouts", "color") if field in change}
        if fields:
            found.update(**fields)


def dashboard_create(*, team: Project, user, data: dict) -> Dashboard:
    data = dict(data)
    folder = data.pop("_create_in_folder", None)
    data.pop("tiles", None)
    with transaction.atomic():
        dashboard = Dashboard.objects.create(team=team, created_by=user, **data)
        if not dashboard.deleted:
            filing.file_entry_create(obj=dashboard, user=user, folder=folder)
        activity_created(obj=dashboard, user=user)
    return dashboard


def dashboard_update(*, dashboard: Dashboard, user, data: dict) -> Dashboard:
    data = dict(data)
    tiles = data.pop("tiles", None)
    data.pop("_create_in_folder", None)
    was_deleted, old_name = dashboard.deleted, str(dashboard)
    with transaction.atomic():
        before = activity_snapshot(obj=dashboard, data=data)
        for field, value in data.items():
            setattr(dashboard, field, value)
        dashboard.save()
        if tiles:
            _tiles_update(dashboard=dashboard, tiles=tiles)
        _sync_file_entry(obj=dashboard, user=user, was_deleted=was_deleted, old_name=old_name)
        activity_updated(obj=dashboard, user=user, before=before)
    return dashboard
