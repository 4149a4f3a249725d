from django.apps import AppConfig


class FileSystemConfig(AppConfig):
    name = "file_system"
