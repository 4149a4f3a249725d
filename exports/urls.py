"""Routes: /api/projects/{id}/exports/ (list, create, retrieve, content)."""

from exports.views import ExportedAssetViewSet
from posthog_core.routers import OptionalSlashRouter

project_router = OptionalSlashRouter()
project_router.register("exports", ExportedAssetViewSet, basename="exported_asset")

urlpatterns = project_router.urls
