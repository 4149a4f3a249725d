from django.apps import AppConfig


class ActivityLogsConfig(AppConfig):
    name = "activity_logs"
    verbose_name = "Activity log"
