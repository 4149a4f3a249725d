"""The entry serializer's direct representation against DRF's field-by-field one."""

from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from file_system.selectors import FileSystemRow
from file_system.serializers import FileSystemSerializer
from tests.file_system.factories import FileSystemFactory

pytestmark = pytest.mark.django_db


def field_by_field(entry) -> dict:
    return serializers.ModelSerializer.to_representation(FileSystemSerializer(), entry)


@pytest.mark.parametrize(
    "values",
    [
        {"path": "A/B\\/c", "type": "insight", "ref": "12", "href": "/insights/12", "meta": {"created_by": 1, "x": [1, {"y": None}]}},
        {"path": "Solo", "type": "folder", "ref": None, "href": None, "meta": None, "shortcut": None, "depth": None},
        {"path": "Link", "shortcut": True, "meta": {}},
    ],
)
def test_direct_representation_matches_declared_fields(team, values):
    entry = FileSystemFactory(team=team, created_at=datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC), **values)
    entry.refresh_from_db()
    assert FileSystemSerializer(entry).data == field_by_field(entry)


def test_direct_representation_includes_annotated_last_view(team):
    entry = FileSystemFactory(team=team, path="Viewed")
    entry.last_viewed_at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert FileSystemSerializer(entry).data["last_viewed_at"] == "2025-01-02T03:04:05Z"
    assert FileSystemSerializer(entry).data == field_by_field(entry)


def test_list_rows_carry_every_serialized_field(session_client, team):
    entry = FileSystemFactory(team=team, path="Docs/Readme", ref="7", href="/x", meta={"created_by": None})
    listed = session_client.get(f"/api/projects/{team.pk}/file_system/", {"order_by": "-last_viewed_at"}).json()["results"]
    retrieved = session_client.get(f"/api/projects/{team.pk}/file_system/{entry.pk}/").json()
    assert listed == [retrieved]


def test_list_rows_are_the_serialized_fields():
    assert set(FileSystemSerializer.Meta.fields) == set(FileSystemRow._fields)
