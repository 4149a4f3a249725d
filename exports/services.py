"""Creating, rendering, storing and expiring exports (select rows → render → store)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.utils import timezone
from rest_framework.exceptions import APIException, ValidationError

from activity_logs.services import activity_log_create, change
from exports import assembly
from exports.copy_csv import CopyFallback
from exports.models import ExportedAsset
from exports.priority import render_priority
from exports.renderers import (
    ExportFormat,
    ReportHeader,
    render_json,
    render_pdf,
    render_png,
    write_csv,
    write_xlsx,
)
from exports.slots import export_slot
from exports.sources import ExportSourceError, RowCount
from posthog_core.db_routing import run_with_replica_fallback
from posthog_core.metrics import EXPORT_RENDER_SECONDS
from posthog_core.models import Project, User

logger = logging.getLogger(__name__)

EXPIRY_DAYS = {
    ExportFormat.CSV: 7,
    ExportFormat.XLSX: 7,
    ExportFormat.MP4: 365,
    ExportFormat.WEBM: 365,
    ExportFormat.GIF: 365,
}
DEFAULT_EXPIRY_DAYS = 180
# A PDF is a report to read, not a data dump: reportlab lays out ~2,000 rows a second.
PDF_ROW_LIMIT = 10_000
PNG_ROW_LIMIT = 100


def export_expiry(*, export_format: str, now: datetime) -> datetime:
    """Midnight UTC of now + 7 days (CSV, XLSX), 365 days (videos) or 180 days (everything else)."""
    moment = now.astimezone(UTC) + timedelta(days=EXPIRY_DAYS.get(export_format, DEFAULT_EXPIRY_DAYS))
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def exported_asset_create(*, team: Project, user: User, data: dict, auth: Any = None) -> ExportedAsset:
    """Create the asset, log the activity, and render it synchronously (DECISIONS: no worker).

    A render failure is recorded on the asset (`exception`, `exception_type`, `failure_type`); the
    asset is returned either way. `auth` is the creating request's key, so an `export_context.path`
    runs with the same scopes.
    """
    # The slot is taken before the asset exists: a create refused with 429 leaves nothing behind.
    with export_slot():
        asset = ExportedAsset.objects.create(
            team=team,
            created_by=user,
            expires_after=export_expiry(export_format=data["export_format"], now=timezone.now()),
            export_format=data["export_format"],
            dashboard=data.get("dashboard"),
            insight=data.get("insight"),
            export_context=data.get("export_context") or None,
        )
        _activity_record(asset=asset, user=user)
        with render_priority(), EXPORT_RENDER_SECONDS.labels(format=asset.export_format).time():
            export_render(asset=asset, auth=auth)
    return asset


def _activity_record(*, asset: ExportedAsset, user: User) -> None:
    if asset.insight is not None and asset.dashboard is None:
        insight = asset.insight
        activity_log_create(
            team=asset.team, user=user, scope="Insight", activity="exported", item_id=insight.id,
            name=insight.name or insight.derived_name, short_id=insight.short_id,
            changes=[change(scope="Insight", action="exported", field="export_format", after=asset.export_format)],
        )
        return
    context = asset.export_context or {}
    kind = ("dashboard" if asset.dashboard_id else "recording" if context.get("session_recording_id")
            else "heatmap" if context.get("heatmap_url") else "unknown")
    activity_log_create(team=asset.team, user=user, scope="ExportedAsset", activity="exported",
                        item_id=asset.id, detail_type=kind)


def export_render(*, asset: ExportedAsset, auth: Any = None) -> ExportedAsset:
    """Render the asset into a temporary file, then move it to storage. A failure stores nothing
    and records the error on the asset instead; it never raises."""
    try:
        # A named temporary file: the local storage moves it into place instead of copying it.
        with TemporaryUploadedFile("export", asset.export_format, 0, None) as out:
            counter = run_with_replica_fallback(lambda: _render_attempt(asset=asset, out=out, auth=auth),
                                                independent_of_earlier_writes=True)
            out.flush()
            out.seek(0)
            location = default_storage.save(_storage_key(asset), out)
    except Exception as error:  # noqa: BLE001 - every failure becomes the asset's recorded exception
        _failure_record(asset=asset, error=error)
        return asset
    asset.content_location, asset.rows_exported, asset.truncated = location, counter.count, counter.truncated
    asset.exception = asset.exception_type = asset.failure_type = None
    asset.save(update_fields=["content_location", "rows_exported", "truncated", "exception", "exception_type",
                              "failure_type"])
    return asset


def _failure_record(*, asset: ExportedAsset, error: Exception) -> None:
    user_error = isinstance(error, ExportSourceError | ValidationError) or (
        isinstance(error, APIException) and error.status_code < 500
    )
    if not user_error:
        logger.exception("export %s failed", asset.id)
    asset.exception = _message(error)[:10_000]
    asset.exception_type = type(error).__name__
    asset.failure_type = ExportedAsset.FailureType.USER if user_error else ExportedAsset.FailureType.SYSTEM
    asset.content_location = None
    asset.save(update_fields=["exception", "exception_type", "failure_type", "content_location"])


def _message(error: Exception) -> str:
    if isinstance(error, APIException):
        detail = error.detail
        while isinstance(detail, dict | list) and detail:
            detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
        return str(detail)
    return str(error) or type(error).__name__


def _storage_key(asset: ExportedAsset) -> str:
    subtype = asset.export_format.split("/")[-1]
    return f"exports/{subtype}/team-{asset.team_id}/task-{asset.id}/{uuid.uuid4().hex}"


def _render_attempt(*, asset: ExportedAsset, out: IO[bytes], auth: Any) -> RowCount:
    """One rendering from scratch (a replica failure retries it on the primary)."""
    out.seek(0)
    out.truncate()
    return _render_into(asset=asset, out=out, auth=auth)


def _render_into(*, asset: ExportedAsset, out: IO[bytes], auth: Any) -> RowCount:
    """Select the rows for the asset's format and write the rendered file to `out`."""
    fmt = asset.export_format
    if fmt in (ExportFormat.MP4, ExportFormat.WEBM, ExportFormat.GIF):
        raise ExportSourceError("Session recording exports are not supported by this server.")
    limit = settings.EXPORT_ROW_LIMIT
    if fmt == ExportFormat.PDF:
        limit = min(limit, PDF_ROW_LIMIT)
    elif fmt == ExportFormat.PNG:
        limit = min(limit, PNG_ROW_LIMIT)
    counter = RowCount(limit=limit)
    source = assembly.ExportSource(asset=asset, auth=auth, counter=counter)
    header = _header(asset=asset, source=source)
    if fmt == ExportFormat.CSV:
        if not source.copy_csv(out):
            write_csv(out, source.single_table())
    elif fmt == ExportFormat.XLSX:
        _xlsx_into(out=out, source=source, header=header, counter=counter)
    elif fmt == ExportFormat.JSON:
        out.write(render_json(source.payload()))
    else:
        sections = source.sections()
        _count_into(header, counter)
        out.write(render_pdf(sections, header) if fmt == ExportFormat.PDF else render_png(sections, header.title))
    return counter


def _xlsx_into(*, out: IO[bytes], source: assembly.ExportSource, header: ReportHeader, counter: RowCount) -> None:
    """Rows rendered by PostgreSQL where the source allows; when a value needs the Python writer,
    the partial file is dropped and the whole workbook written the general way."""
    start = out.tell()
    sheets = source.copy_xlsx_sheets(on_done=lambda: _count_into(header, counter))
    if sheets is not None:
        try:
            write_xlsx(out, sheets, header)
            return
        except CopyFallback:
            out.seek(start)
            out.truncate()
            counter.count, counter.truncated = 0, False
    write_xlsx(out, source.sheets(on_done=lambda: _count_into(header, counter)), header)


def _count_into(header: ReportHeader, counter: RowCount) -> None:
    header.rows_exported, header.truncated, header.row_limit = counter.count, counter.truncated, counter.limit


def _header(*, asset: ExportedAsset, source: assembly.ExportSource) -> ReportHeader:
    return ReportHeader(
        title=source.title(), project=asset.team.name, generated_at=timezone.now(),
        date_range=source.date_range(), filters=source.filters(), row_limit=source.counter.limit,
    )


def exported_asset_file(*, asset: ExportedAsset) -> File | None:
    """The stored file, opened for streaming; None when the asset has none (not rendered, or lost)."""
    if not asset.content_location:
        return None
    try:
        return default_storage.open(asset.content_location, "rb")
    except (FileNotFoundError, OSError):
        return None


def exported_assets_delete_expired(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Delete expired assets and their files; returns how many were deleted."""
    now = now or timezone.now()
    deleted = 0
    while True:
        batch = list(ExportedAsset.all_objects.filter(expires_after__lt=now).values_list("id", "content_location")
                     [:batch_size])
        if not batch:
            return deleted
        for _, location in batch:
            if location:
                default_storage.delete(location)
        ExportedAsset.all_objects.filter(id__in=[asset_id for asset_id, _ in batch]).delete()
        deleted += len(batch)
