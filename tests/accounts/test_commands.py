"""Management commands named in DECISIONS.md: `bootstrap` and `create_personal_api_key`."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from posthog_core.models import Organization, PersonalAPIKey, Project, User

pytestmark = pytest.mark.django_db

BOOTSTRAP = ["--email", "ops@example.com", "--password", "s3cret-pass", "--organization", "Ops", "--project", "Prod"]


def run(*args) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_bootstrap_prints_exactly_the_documented_keys():
    result = run("bootstrap", *BOOTSTRAP, "--json")

    project = Project.objects.get()
    assert result == {
        "user_email": "ops@example.com",
        "organization_id": str(project.organization_id),
        "project_id": project.id,
        "project_api_token": project.api_token,
        "personal_api_key": result["personal_api_key"],
    }
    assert result["personal_api_key"].startswith("phx_")


def test_bootstrap_twice_reuses_user_organization_and_project_but_makes_a_new_key():
    first = run("bootstrap", *BOOTSTRAP, "--json")
    second = run("bootstrap", *BOOTSTRAP, "--json")

    assert {k: v for k, v in first.items() if k != "personal_api_key"} == {
        k: v for k, v in second.items() if k != "personal_api_key"
    }
    assert first["personal_api_key"] != second["personal_api_key"]
    assert (User.objects.count(), Organization.objects.count(), Project.objects.count()) == (1, 1, 1)
    assert PersonalAPIKey.objects.count() == 2


def test_bootstrap_key_has_star_scope_and_works():
    result = run("bootstrap", *BOOTSTRAP, "--json")
    client = APIClient()

    response = client.get(f"/api/projects/{result['project_id']}/activity_log/", HTTP_AUTHORIZATION=f"Bearer {result['personal_api_key']}")

    assert response.status_code == 200
    assert PersonalAPIKey.objects.get().scopes == ["*"]


def test_bootstrap_user_can_log_in_with_the_password():
    run("bootstrap", *BOOTSTRAP, "--json")

    assert APIClient().login(email="ops@example.com", password="s3cret-pass")


def test_bootstrap_with_another_project_name_adds_a_project_to_the_same_organization():
    first = run("bootstrap", *BOOTSTRAP, "--json")
    second = run("bootstrap", *BOOTSTRAP[:-1], "Staging", "--json")

    assert second["organization_id"] == first["organization_id"]
    assert second["project_id"] != first["project_id"]


def test_create_personal_api_key_prints_exactly_the_documented_keys(user, team):
    result = run(
        "create_personal_api_key", "--email", user.email, "--label", "ci",
        "--scopes", "event_definition:read,export:write", "--projects", str(team.id), "--json",
    )

    assert result == {
        "personal_api_key": result["personal_api_key"],
        "scopes": ["event_definition:read", "export:write"],
        "scoped_teams": [team.id],
    }
    key = PersonalAPIKey.objects.get()
    assert (key.label, key.scoped_teams) == ("ci", [team.id])


def test_create_personal_api_key_without_projects_is_unscoped(user):
    result = run("create_personal_api_key", "--email", user.email, "--label", "ci", "--scopes", "*", "--json")

    assert result["scoped_teams"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "nobody@example.com"], "No user"),
        (["--scopes", "bogus:read"], "Invalid scope: bogus:read"),
        (["--projects", "abc"], "integer"),
    ],
)
def test_create_personal_api_key_rejects_bad_input(user, args, message):
    base = {"--email": user.email, "--label": "ci", "--scopes": "*"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value

    with pytest.raises(CommandError, match=message):
        call_command("create_personal_api_key", *[item for pair in base.items() for item in pair], "--json")


def test_create_personal_api_key_refuses_a_project_the_user_cannot_reach(user, other_team):
    with pytest.raises(CommandError, match="not a member"):
        call_command("create_personal_api_key", "--email", user.email, "--projects", str(other_team.id))


def test_demo_command_creates_the_demo_account_once():
    out = StringIO()
    call_command("demo", stdout=out)
    call_command("demo", stdout=StringIO())

    assert "Personal API key (shown once): phx_" in out.getvalue()
    assert User.objects.count() == 1
