from django.apps import AppConfig


class SchemasConfig(AppConfig):
    name = "schemas"
