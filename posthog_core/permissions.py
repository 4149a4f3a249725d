"""Permission classes, one rule each; assembled by TeamScopedViewSetMixin.get_permissions()."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from posthog_core.models import PersonalAPIKey
from posthog_core.scopes import required_scopes_for, scopes_grant


class ScopePermission(BasePermission):
    """A personal API key must hold the scope its action requires.

    Session users pass (they are limited by membership only). A key with no scopes is a legacy
    key and passes. An action that declares no scope is closed to keys, even `*` ones.
    """

    message = "This action does not support Personal API Key access"

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, PersonalAPIKey):
            return True
        action_map = getattr(view, "action_map", None)
        if action_map is not None and request.method != "OPTIONS" and request.method.lower() not in action_map:
            return True  # the view serves no such method: let it answer 405, not a scope error
        required = required_scopes_for(view, getattr(view, "action", None), request.method)
        if not key.scopes:
            return True
        if required is None:
            self.message = "This action does not support Personal API Key access"
            return False
        team = getattr(view, "team_for_scope_check", lambda: None)()
        if team is not None:
            if key.scoped_teams and team.id not in key.scoped_teams:
                self.message = f"API key does not have access to the requested project: ID {team.id}."
                return False
            if key.scoped_organizations and str(team.organization_id) not in key.scoped_organizations:
                self.message = (
                    f"API key does not have access to the requested organization: ID {team.organization_id}."
                )
                return False
        for scope in required:
            if not scopes_grant(key.scopes, scope):
                self.message = f"API key missing required scope '{scope}'"
                return False
        return True


class TeamMemberPermission(BasePermission):
    """The user must belong to the organization that owns the URL's project."""

    message = "You don't have access to the project."

    def has_permission(self, request, view) -> bool:
        return view.user_is_member(view.team)
