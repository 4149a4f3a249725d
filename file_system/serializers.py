"""Shapes of file-system entries, shortcuts, counts and view-log rows; input validation only."""

from __future__ import annotations

import json
from functools import cached_property

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from file_system.models import FileSystem, FileSystemShortcut, FileSystemViewLog
from file_system.paths import MAX_PATH_LENGTH, path_normalize
from posthog_core.serializers import iso_8601


def _validate_path(value: str) -> str:
    normalized = path_normalize(value)
    if not normalized.strip():
        raise serializers.ValidationError("A path needs at least one segment.", code="blank")
    if len(normalized) > MAX_PATH_LENGTH:
        raise serializers.ValidationError(f"Ensure the path has no more than {MAX_PATH_LENGTH} characters.", code="max_length")
    return normalized


_DATETIME = serializers.DateTimeField()

# What the services accept as a path, stated for clients (and fuzzers): at least one character
# that is neither whitespace nor `/` (else no segment is left), no NUL, at most MAX_PATH_LENGTH.
PATH_PATTERN = "^[^\\u0000]*[^\\s/\\u0000][^\\u0000]*$"
PATH_SCHEMA = {
    "type": "string",
    "pattern": PATH_PATTERN,
    "maxLength": MAX_PATH_LENGTH,
    "description": "`/`-separated segments (`\\/` and `\\\\` escape a slash or a backslash); empty segments "
                   "are dropped, and at least one must remain.",
}


class PathField(serializers.CharField):
    """A file-system path as clients send it: normalized and checked by `_validate_path`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


class PathFieldSchema(OpenApiSerializerFieldExtension):
    """PATH_SCHEMA for what a client sends; a stored path is any string, since folders that
    insights and dashboards file themselves into (`_create_in_folder` + a name) may run longer."""

    target_class = PathField

    def map_serializer_field(self, auto_schema, direction):
        return PATH_SCHEMA if direction == "request" else {"type": "string"}


class FileSystemSerializer(serializers.ModelSerializer):
    path = PathField(max_length=MAX_PATH_LENGTH * 2)
    meta = serializers.JSONField(required=False, allow_null=True)
    shortcut = serializers.BooleanField(required=False, allow_null=True)
    last_viewed_at = serializers.SerializerMethodField()

    class Meta:
        model = FileSystem
        fields = ["id", "path", "depth", "type", "ref", "href", "meta", "shortcut", "created_at", "last_viewed_at"]
        read_only_fields = ["id", "depth", "created_at", "last_viewed_at"]

    def get_last_viewed_at(self, entry: FileSystem) -> serializers.DateTimeField(allow_null=True):  # type: ignore[valid-type]
        value = getattr(entry, "last_viewed_at", None)
        return _DATETIME.to_representation(value) if value else None

    def to_representation(self, entry: FileSystem) -> dict:
        # Lists and count/ render 100–200 entries per request; walking DRF's ten field objects per
        # entry cost about as much as the whole SQL read. Same output as the declared fields (a
        # test compares the two), built directly.
        shortcut, created_at = entry.shortcut, entry.created_at
        if created_at is not None:
            created_at = iso_8601(created_at, self._timezone) if timezone.is_aware(created_at) else _DATETIME.to_representation(created_at)
        return {
            "id": str(entry.id),
            "path": entry.path,
            "depth": entry.depth,
            "type": entry.type,
            "ref": entry.ref,
            "href": entry.href,
            "meta": entry.meta,
            "shortcut": None if shortcut is None else bool(shortcut),
            "created_at": created_at,
            "last_viewed_at": self.get_last_viewed_at(entry),
        }

    def validate_path(self, value: str) -> str:
        return _validate_path(value)

    @cached_property
    def _timezone(self):
        return timezone.get_current_timezone()

    def validate_meta(self, value):
        if value is not None and not isinstance(value, dict):
            raise serializers.ValidationError("meta must be a JSON object.", code="invalid")
        # NOTE: PostgreSQL's jsonb rejects \u0000 anywhere in a document.
        if value and "\\u0000" in json.dumps(value):
            raise serializers.ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
        return value


class FileSystemCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    entries = FileSystemSerializer(many=True)
    has_more = serializers.BooleanField()


class FileSystemMoveSerializer(serializers.Serializer):
    """Documents the body of move/ and link/; the views read `new_path` themselves so that a
    missing one answers PostHog's bare `{"detail": "new_path is required"}`."""

    new_path = PathField()


class FileSystemLogViewSerializer(serializers.ModelSerializer):
    type = serializers.CharField(max_length=100)
    ref = serializers.CharField(max_length=100)
    viewed_at = serializers.DateTimeField(required=False)

    class Meta:
        model = FileSystemViewLog
        fields = ["type", "ref", "viewed_at"]


class FileSystemShortcutSerializer(serializers.ModelSerializer):
    path = PathField(max_length=MAX_PATH_LENGTH * 2)

    class Meta:
        model = FileSystemShortcut
        fields = ["id", "path", "type", "ref", "href", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_path(self, value: str) -> str:
        return _validate_path(value)
