"""Routes: /api/projects/{id}/exports/ (list, create, retrieve, content)."""

from rest_framework.routers import DefaultRouter

from exports.views import ExportedAssetViewSet

project_router = DefaultRouter(trailing_slash="/?")
project_router.include_root_view = False
project_router.register("exports", ExportedAssetViewSet, basename="exported_asset")

urlpatterns = project_router.urls
