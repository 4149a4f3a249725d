from accounts.views import PersonalAPIKeyViewSet, ProjectViewSet, UserViewSet
from posthog_core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("users", UserViewSet, basename="user")
router.register("projects", ProjectViewSet, basename="project")
router.register("personal_api_keys", PersonalAPIKeyViewSet, basename="personal_api_key")

urlpatterns = router.urls
