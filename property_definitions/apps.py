from django.apps import AppConfig


class PropertyDefinitionsConfig(AppConfig):
    name = "property_definitions"
