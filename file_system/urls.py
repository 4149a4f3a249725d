from rest_framework.routers import DefaultRouter

from file_system.views import FileSystemShortcutViewSet, FileSystemViewSet

project_router = DefaultRouter(trailing_slash="/?")
project_router.include_root_view = False
project_router.register("file_system", FileSystemViewSet, basename="file_system")
project_router.register("file_system_shortcut", FileSystemShortcutViewSet, basename="file_system_shortcut")

urlpatterns = project_router.urls
