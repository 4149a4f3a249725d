"""Capture endpoints, mounted at the site root (trailing slash optional)."""

from django.urls import re_path

from ingestion.views import CaptureView

urlpatterns: list = []

root_urlpatterns = [
    re_path(r"^(?:batch|e|capture|track|i/v0/e)/?$", CaptureView.as_view(), name="capture"),
]
