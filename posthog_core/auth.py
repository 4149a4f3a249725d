"""Authentication: personal API keys (header, body, query string) and session cookies."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from rest_framework import authentication, exceptions

from posthog_core.lookups import personal_api_key_by_secure_value, project_ref
from posthog_core.models import PersonalAPIKey, hash_key_value

# PostHog refreshes last_used_at at most hourly, so a busy key costs no write per request.
LAST_USED_REFRESH = timedelta(hours=1)

# Keys imported from an older PostHog are PBKDF2 hashes with this fixed salt (§2).
LEGACY_SALT = "posthog_personal_api_key"
LEGACY_ITERATIONS = (260_000, 390_000)
LEGACY_PREFIX = "pbkdf2_sha256$"


def legacy_key_upgrade(value: str) -> PersonalAPIKey | None:
    """Find a key stored as a legacy PBKDF2 hash and re-hash it to sha256 on this first use.

    PBKDF2 costs ~0.1 s per try, so it is only tried while legacy rows exist (an indexed
    prefix check); a database with none never pays it for an unknown key.
    """
    if not PersonalAPIKey.objects.filter(secure_value__startswith=LEGACY_PREFIX).exists():
        return None
    hasher = PBKDF2PasswordHasher()
    candidates = [hasher.encode(value, LEGACY_SALT, iterations) for iterations in LEGACY_ITERATIONS]
    key = PersonalAPIKey.objects.select_related("user").filter(secure_value__in=candidates).first()
    if key is not None:
        key.secure_value = hash_key_value(value)
        key.save(update_fields=["secure_value"])
    return key


class PersonalAPIKeyAuthentication(authentication.BaseAuthentication):
    """Find one key (Bearer header, then `personal_api_key` in the body, then in the query string).

    Only the first key found is tried. Bearer tokens of other kinds (`pha_` OAuth tokens) are left
    to other authenticators. `request.auth` is the PersonalAPIKey on success.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        found = self.find_key(request)
        if found is None:
            return None
        # The URL's project is looked up with the key (one round trip, not two); the view takes it
        # from the request when it resolves the same `project_id` (TeamScopedViewSetMixin.team).
        raw = str((getattr(request, "parser_context", None) or {}).get("kwargs", {}).get("project_id", ""))
        ref = project_ref(raw) if raw else None
        user, key, lookup = self.lookup(*found, project=ref)
        if ref is not None and lookup is not None:
            request._request.prefetched_project = (raw, lookup.project)
        return user, key

    def lookup(self, value: str, source: str, project: int | str | None = None):
        """`(user, key, the KeyLookup that found it)`; the lookup is None for a legacy key upgraded here
        (its project was not looked up). AuthenticationFailed on a bad key."""
        found = personal_api_key_by_secure_value(hash_key_value(value), project)
        key = found.key if found else legacy_key_upgrade(value)
        if key is None or not key.user.is_active:
            raise exceptions.AuthenticationFailed(f"Personal API key found in request {source} is invalid.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_REFRESH:
            # Bookkeeping, not the request's data: `using` the primary outright skips the router, so
            # this write doesn't pin the request's later reads to the primary (db_routing).
            PersonalAPIKey.objects.using(DEFAULT_DB_ALIAS).filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.user, key, found

    @staticmethod
    def find_key_in_header(request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token and not token.startswith("pha_"):
            return token
        return None

    def find_key(self, request) -> tuple[str, str] | None:
        token = self.find_key_in_header(request)
        if token:
            return token, "Authorization header"
        # Any method may carry the key in its body (PostHog reads request.data even on GET); only
        # content types we parse are read, so an odd body cannot turn auth into a 415.
        if request.content_type.startswith(
            ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
        ):
            data = request.data
            value = data.get("personal_api_key") if hasattr(data, "get") else None
            if isinstance(value, str) and value:
                return value, "body"
        value = request.query_params.get("personal_api_key")
        if value:
            return value, "query string"
        return None

    def authenticate_header(self, request) -> str:
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (CSRF enforced), for the browsable API and the web app."""
