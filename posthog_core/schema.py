"""OpenAPI generation: the personal-API-key bearer scheme with each operation's scope."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from posthog_core.scopes import required_scopes_for

PERSONAL_API_KEY_SCHEME = "PersonalAPIKeyAuth"


class PersonalAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "posthog_core.auth.PersonalAPIKeyAuthentication"
    name = PERSONAL_API_KEY_SCHEME

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API key (`phx_...`), created at /api/personal_api_keys/.",
        }


class SessionCookieScheme(OpenApiAuthenticationExtension):
    target_class = "posthog_core.auth.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class ScopedAutoSchema(AutoSchema):
    """Each operation lists the scope a personal API key needs, as PostHog's schema does."""

    def get_auth(self):
        try:
            scopes = required_scopes_for(self.view, getattr(self.view, "action", None), self.method)
        except ImproperlyConfigured:
            scopes = None
        security = [] if scopes is None else [{PERSONAL_API_KEY_SCHEME: scopes}]
        security.append({"cookieAuth": []})
        return security


def preprocess_exclude_aliases(endpoints):
    """Describe each operation once: `/api/environments/...` mirrors `/api/projects/...`."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if not path.startswith(("/api/environments/", "/_bench"))
    ]
