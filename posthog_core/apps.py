from django.apps import AppConfig


class PosthogCoreConfig(AppConfig):
    name = "posthog_core"
    verbose_name = "Accounts and projects"
