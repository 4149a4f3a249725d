from django.apps import AppConfig


class EventDefinitionsConfig(AppConfig):
    name = "event_definitions"
