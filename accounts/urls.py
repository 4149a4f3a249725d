from accounts.views import (
    OrganizationProjectViewSet,
    OrganizationViewSet,
    PersonalAPIKeyViewSet,
    ProjectViewSet,
    UserViewSet,
)
from posthog_core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("users", UserViewSet, basename="user")
router.register("projects", ProjectViewSet, basename="project")
router.register("personal_api_keys", PersonalAPIKeyViewSet, basename="personal_api_key")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register(r"organizations/(?P<organization_id>[^/]+)/projects", OrganizationProjectViewSet,
                basename="organization_project")

urlpatterns = router.urls
