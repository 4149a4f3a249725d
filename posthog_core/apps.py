from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class PosthogCoreConfig(AppConfig):
    name = "posthog_core"
    verbose_name = "Accounts and projects"

    def ready(self):
        # A mistyped RATE_LIMIT_* value stops the server at start-up instead of failing every request.
        from django.conf import settings

        from posthog_core.ratelimit import parse_rate

        for scope, rates in settings.RATE_LIMITS.items():
            for rate in rates:
                try:
                    parse_rate(rate)
                except ValueError as exc:
                    raise ImproperlyConfigured(f"RATE_LIMITS[{scope!r}]: {exc}") from exc
