"""The account graph every test starts from: organization → team → user, plus another team."""

import pytest
from rest_framework.test import APIClient

from accounts.services import personal_api_key_create
from tests.factories import MembershipFactory, OrganizationFactory, ProjectFactory, UserFactory


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Hedgehogs Inc")


@pytest.fixture
def team(organization):
    return ProjectFactory(organization=organization, name="Main project")


@pytest.fixture
def user(organization, team):
    user = UserFactory(first_name="Ursula", last_name="User", current_project=team)
    user.save()
    MembershipFactory(organization=organization, user=user)
    return user


@pytest.fixture
def other_team(db):
    """A project in another organization that `user` is not a member of."""
    return ProjectFactory(organization=OrganizationFactory(name="Other org"), name="Other project")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def session_client(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def scoped_client(user):
    """`scoped_client(scopes=[...], scoped_teams=None)`: a client sending a personal API key."""

    def make(scopes=None, scoped_teams=None, for_user=None):
        key = personal_api_key_create(user=for_user or user, label="test", scopes=scopes, scoped_teams=scoped_teams)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key._plain_value}")
        client.key_value = key._plain_value
        return client

    return make


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Stored files (export content) go to a per-test folder, never into the data dir."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
