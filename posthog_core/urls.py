"""Root URLs: the account API, every project-scoped app under /api/projects/{project_id}/ (and
its /api/environments/ alias), capture endpoints, docs, admin and health."""

import os
from importlib import import_module

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from posthog_core import views
from posthog_core.login import LockoutLoginView

# `schemas` comes before `event_definitions`: it serves event_definitions/{typescript,python,golang}/,
# which the event-definition router would otherwise read as an id.
PROJECT_APPS = [
    "activity_logs", "schemas", "event_definitions", "property_definitions", "file_system", "insights", "exports",
]


def project_urls():
    patterns = []
    for app in PROJECT_APPS:
        patterns += import_module(f"{app}.urls").urlpatterns
    return patterns


urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("_health", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("_health/cluster", views.cluster_health, name="cluster-health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/schema/swagger-ui/", SpectacularSwaggerView.as_view(url_name="schema")),
    path(
        "api/schema/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="posthog_core/redoc.html"),
        name="redoc",
    ),
    path("api/projects/<str:project_id>/", include(project_urls())),
    path("api/environments/<str:project_id>/", include(project_urls())),
    path("api/", include("accounts.urls")),
    # DRF's login and logout under their usual names, the login with a lockout (posthog_core/login.py).
    path("api-auth/", include(([
        path("login/", LockoutLoginView.as_view(), name="login"),
        path("logout/", LogoutView.as_view(), name="logout"),
    ], "rest_framework"))),
    path("admin/", admin.site.urls),
    *import_module("ingestion.urls").root_urlpatterns,
]

if os.environ.get("POSTHOG_CORE_BENCH") == "1":
    urlpatterns.append(path("_bench/me", views.bench_bare_me))

handler404 = "posthog_core.views.not_found"
handler500 = "posthog_core.views.server_error"
