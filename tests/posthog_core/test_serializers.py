"""CachedFieldsMixin: fields built once per class, still independent per instance."""

import pytest

from accounts.serializers import UserBasicSerializer, UserSerializer

pytestmark = pytest.mark.django_db


def test_cached_fields_are_built_once_per_class(user):
    assert UserBasicSerializer(user).data["id"] == user.id

    template = UserBasicSerializer.__dict__["_field_template"]
    assert UserBasicSerializer(user).data["id"] == user.id

    assert UserBasicSerializer.__dict__["_field_template"] is template


def test_cached_fields_are_fresh_bound_copies_per_instance(user):
    first, second = UserBasicSerializer(user), UserBasicSerializer(user)

    assert first.fields["email"] is not second.fields["email"]
    assert first.fields["email"].parent is first
    assert UserBasicSerializer.__dict__["_field_template"]["email"].parent is None


def test_cached_serializer_still_validates_per_instance(user):
    bad = UserSerializer(user, data={"role_at_organization": "wizard"}, partial=True)
    good = UserSerializer(user, data={"role_at_organization": "data"}, partial=True)

    assert not bad.is_valid()
    assert good.is_valid(), good.errors
