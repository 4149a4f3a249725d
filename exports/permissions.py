"""Creating an export also needs read access to what it reads (PostHog §2)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from posthog_core.models import PersonalAPIKey
from posthog_core.scopes import scopes_grant


def export_create_required_scopes(data: object) -> list[str]:
    """`insight:read` for an insight, `dashboard:read` for a dashboard, `query:read` for a query or
    path, `session_recording:read` / `heatmap:read` for those contexts."""
    if not isinstance(data, dict):
        return []
    scopes = []
    if data.get("insight") not in (None, ""):
        scopes.append("insight:read")
    if data.get("dashboard") not in (None, ""):
        scopes.append("dashboard:read")
    context = data.get("export_context")
    if isinstance(context, dict):
        if "source" in context or "path" in context:
            scopes.append("query:read")
        if context.get("session_recording_id"):
            scopes.append("session_recording:read")
        if context.get("heatmap_url"):
            scopes.append("heatmap:read")
    return scopes


class ExportCreateScopePermission(BasePermission):
    """On create, a scoped personal API key must also hold the read scopes of the export's input."""

    message = "This action does not support Personal API Key access"

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if view.action != "create" or not isinstance(key, PersonalAPIKey) or not key.scopes:
            return True
        for scope in export_create_required_scopes(request.data):
            if not scopes_grant(key.scopes, scope):
                self.message = f"API key missing required scope '{scope}'"
                return False
        return True
