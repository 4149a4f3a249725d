from rest_framework.routers import DefaultRouter

from accounts.views import PersonalAPIKeyViewSet, ProjectViewSet, UserViewSet

router = DefaultRouter(trailing_slash="/?")
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
router.register("projects", ProjectViewSet, basename="project")
router.register("personal_api_keys", PersonalAPIKeyViewSet, basename="personal_api_key")

urlpatterns = router.urls
