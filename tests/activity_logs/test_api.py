"""GET /api/projects/{id}/activity_log/ and the activity_log_create service (§1.4)."""

import pytest

from activity_logs.models import ActivityLog
from activity_logs.services import activity_log_create, change

pytestmark = pytest.mark.django_db


def url_of(team) -> str:
    return f"/api/projects/{team.id}/activity_log/"


def test_activity_log_without_credentials_returns_401(api_client, team):
    assert api_client.get(url_of(team)).status_code == 401


def test_activity_log_with_the_wrong_scope_returns_403(scoped_client, team):
    response = scoped_client(scopes=["insight:read"]).get(url_of(team))

    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'activity_log:read'"


def test_activity_log_of_another_project_is_absent_from_the_list(session_client, team, other_team):
    activity_log_create(team=other_team, user=None, scope="Insight", activity="created", item_id=1)

    assert session_client.get(url_of(team)).json()["results"] == []
    assert session_client.get(url_of(other_team)).status_code == 403


def test_activity_log_lists_the_whole_row(session_client, user, team, django_assert_max_num_queries):
    row = activity_log_create(
        team=team, user=user, scope="EventDefinition", activity="changed", item_id=7, name="signup",
        changes=[change(scope="EventDefinition", action="changed", field="description", before="a", after="b")],
    )

    with django_assert_max_num_queries(6):
        response = session_client.get(url_of(team))

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": str(row.id),
                "user": {
                    "id": user.id,
                    "uuid": str(user.uuid),
                    "distinct_id": user.distinct_id,
                    "first_name": "Ursula",
                    "last_name": "User",
                    "email": user.email,
                    "is_email_verified": None,
                    "hedgehog_config": None,
                    "role_at_organization": None,
                },
                "activity": "changed",
                "scope": "EventDefinition",
                "item_id": "7",
                "detail": {
                    "name": "signup",
                    "short_id": None,
                    "type": None,
                    "trigger": None,
                    "changes": [
                        {"type": "EventDefinition", "action": "changed", "field": "description", "before": "a", "after": "b"}
                    ],
                },
                "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
                "is_system": False,
                "was_impersonated": False,
            }
        ],
    }


def test_activity_log_list_query_count_does_not_grow_with_rows(session_client, user, team, django_assert_max_num_queries):
    for n in range(20):
        activity_log_create(team=team, user=user, scope="Insight", activity="created", item_id=n)

    with django_assert_max_num_queries(6):
        assert len(session_client.get(url_of(team)).json()["results"]) == 20


def test_activity_log_is_newest_first(session_client, team):
    first = activity_log_create(team=team, user=None, scope="Insight", activity="created", item_id=1)
    second = activity_log_create(team=team, user=None, scope="Insight", activity="deleted", item_id=1)

    ids = [row["id"] for row in session_client.get(url_of(team)).json()["results"]]

    assert ids == [str(second.id), str(first.id)]


@pytest.mark.parametrize(("params", "expected"), [({"scope": "Insight"}, ["1"]), ({"item_id": "2"}, ["2"]), ({"activity": "deleted"}, ["2"])])
def test_activity_log_filters(session_client, team, params, expected):
    activity_log_create(team=team, user=None, scope="Insight", activity="created", item_id=1)
    activity_log_create(team=team, user=None, scope="Dashboard", activity="deleted", item_id=2)

    results = session_client.get(url_of(team), params).json()["results"]

    assert [row["item_id"] for row in results] == expected


def test_activity_log_create_records_the_team_organization_and_detail(user, team):
    row = activity_log_create(team=team, user=user, scope="ExportedAsset", activity="exported", item_id=3, detail_type="csv")

    stored = ActivityLog.objects.get(pk=row.pk)
    assert (stored.team_id, stored.organization_id, stored.user_id, stored.item_id) == (
        team.id, team.organization_id, user.id, "3",
    )
    assert stored.detail == {"name": None, "short_id": None, "type": "csv", "trigger": None, "changes": []}


def test_activity_log_create_of_an_anonymous_actor_stores_no_user(team):
    from django.contrib.auth.models import AnonymousUser

    row = activity_log_create(team=team, user=AnonymousUser(), scope="Insight", activity="created", item_id=1, is_system=True)

    assert (row.user_id, row.is_system) == (None, True)
