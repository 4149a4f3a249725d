import os

from django.urls import path

from file_system.views import FileSystemShortcutViewSet, FileSystemViewSet
from posthog_core.routers import OptionalSlashRouter

project_router = OptionalSlashRouter()
project_router.register("file_system", FileSystemViewSet, basename="file_system")
project_router.register("file_system_shortcut", FileSystemShortcutViewSet, basename="file_system_shortcut")

urlpatterns = project_router.urls

if os.environ.get("POSTHOG_CORE_BENCH") == "1":
    from file_system.bench_views import bench_file_system_sql

    urlpatterns.append(path("_bench/file_system/<str:read>", bench_file_system_sql))
