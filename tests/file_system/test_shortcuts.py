"""`/file_system_shortcut/`: per-user shortcuts with the four resource checks."""

import pytest

from file_system.models import FileSystemShortcut
from tests.factories import MembershipFactory, UserFactory
from tests.file_system.factories import FileSystemShortcutFactory

pytestmark = pytest.mark.django_db


def url(team, suffix=""):
    return f"/api/projects/{team.pk}/file_system_shortcut/{suffix}"


def test_shortcut_list_anonymous_returns_401(api_client, team):
    assert api_client.get(url(team)).status_code == 401


def test_shortcut_list_with_file_system_scope_returns_403(scoped_client, team):
    response = scoped_client(scopes=["file_system:write"]).get(url(team))
    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'file_system_shortcut:read'"


def test_shortcut_create_returns_whole_body(scoped_client, team, user):
    response = scoped_client(scopes=["file_system_shortcut:write"]).post(
        url(team), {"path": "Insights/My insight", "type": "insight", "ref": "abc", "href": "/insights/abc"}, format="json"
    )
    assert response.status_code == 201
    shortcut = FileSystemShortcut.objects.get()
    assert response.json() == {
        "id": str(shortcut.pk), "path": "Insights/My insight", "type": "insight", "ref": "abc",
        "href": "/insights/abc", "created_at": shortcut.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert (shortcut.team, shortcut.user) == (team, user)


def test_shortcut_list_shows_only_own_shortcuts(session_client, team, organization, other_team, user, django_assert_max_num_queries):
    colleague = UserFactory()
    MembershipFactory(organization=organization, user=colleague)
    mine = FileSystemShortcutFactory(team=team, user=user, path="b")
    FileSystemShortcutFactory(team=team, user=user, path="a")
    FileSystemShortcutFactory(team=team, user=colleague, path="c")
    FileSystemShortcutFactory(team=other_team, user=user, path="d")
    with django_assert_max_num_queries(6):
        response = session_client.get(url(team))
    assert [item["path"] for item in response.json()["results"]] == ["a", "b"]
    assert session_client.get(url(team, f"{mine.pk}/")).status_code == 200


def test_shortcut_of_other_project_or_user_returns_404(session_client, team, organization, other_team, user):
    colleague = UserFactory()
    MembershipFactory(organization=organization, user=colleague)
    foreign = FileSystemShortcutFactory(team=other_team, user=user)
    colleagues = FileSystemShortcutFactory(team=team, user=colleague)
    assert session_client.get(url(team, f"{foreign.pk}/")).status_code == 404
    assert session_client.delete(url(team, f"{colleagues.pk}/")).status_code == 404


def test_shortcut_update_and_delete(session_client, team, user):
    shortcut = FileSystemShortcutFactory(team=team, user=user, path="old")
    response = session_client.patch(url(team, f"{shortcut.pk}/"), {"path": "new/place"}, format="json")
    assert response.json()["path"] == "new/place"
    assert session_client.delete(url(team, f"{shortcut.pk}/")).status_code == 204
    assert not FileSystemShortcut.objects.exists()


@pytest.mark.parametrize("body", [{"path": ""}, {"path": "//"}, {"path": "x", "type": "t" * 101}])
def test_shortcut_create_with_bad_input_returns_400(session_client, team, body):
    assert session_client.post(url(team), body, format="json").status_code == 400
