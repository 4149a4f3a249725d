"""Dashboard tiles as PostHog shapes them (`order` from the `sm` layout's `y`), and a dashboard
PATCH's `tiles`: changes to existing tiles by id, any bad item a 400 whose `attr` points at it."""


import pytest

from insights.models import Dashboard, DashboardTile
from tests.factories import ProjectFactory
from tests.insights.factories import DashboardFactory, DashboardTileFactory, InsightFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def url(team, dashboard):
    return f"/api/projects/{team.id}/dashboards/{dashboard.pk}/"


def test_tile_has_posthogs_whole_shape(session_client, team):
    dashboard = DashboardFactory(team=team)
    insight = InsightFactory(team=team)
    tile = DashboardTileFactory(dashboard=dashboard, insight=insight, layouts={"sm": {"x": 0, "y": 0, "w": 6, "h": 5}},
                                color="blue")

    body = session_client.get(url(team, dashboard)).json()
    own = session_client.get(f"/api/projects/{team.id}/insights/{insight.pk}/").json()

    assert body["tiles"] == [{
        "id": tile.pk, "order": 0, "layouts": {"sm": {"x": 0, "y": 0, "w": 6, "h": 5}}, "color": "blue",
        "insight": {**own, "is_cached": False}, "text": None, "deleted": False, "is_cached": False,
        "last_refresh": "2024-03-15T12:00:00Z",
    }]


def test_tiles_are_ordered_by_their_small_layouts_y(session_client, team):
    dashboard = DashboardFactory(team=team)
    bottom = DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team), layouts={"sm": {"y": 10}})
    unplaced = DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team), layouts={"sm": "odd"})
    top = DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team), layouts={"sm": {"y": 2}})

    tiles = session_client.get(url(team, dashboard)).json()["tiles"]

    assert [(tile["id"], tile["order"]) for tile in tiles] == [(top.pk, 0), (bottom.pk, 1), (unplaced.pk, 2)]


@pytest.fixture
def two_tiles(team):
    dashboard = DashboardFactory(team=team, name="Before")
    first = DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team), layouts={"sm": {"y": 1}})
    second = DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team), layouts={"sm": {"y": 2}})
    return dashboard, first, second


def _other_dashboards_tile(team):
    return DashboardTileFactory(dashboard=DashboardFactory(team=team), insight=InsightFactory(team=team)).pk


def _other_projects_tile(team):
    other = ProjectFactory()
    return DashboardTileFactory(dashboard=DashboardFactory(team=other), insight=InsightFactory(team=other)).pk


BAD_TILES = [
    pytest.param(lambda team, first: [{"layouts": {"sm": {"y": 0}}}], "tiles__0__id", "required", id="missing-id"),
    pytest.param(lambda team, first: [{"id": first}, {"color": "red"}], "tiles__1__id", "required", id="second-missing-id"),
    pytest.param(lambda team, first: [{"id": 987654}], "tiles__0__id", "does_not_exist", id="unknown-id"),
    pytest.param(lambda team, first: [{"id": first}, {"id": _other_dashboards_tile(team)}], "tiles__1__id",
                 "does_not_exist", id="another-dashboards-tile"),
    pytest.param(lambda team, first: [{"id": _other_projects_tile(team)}], "tiles__0__id", "does_not_exist",
                 id="another-projects-tile"),
    pytest.param(lambda team, first: [{"id": "abc"}], "tiles__0__id", "invalid_input", id="id-string"),
    pytest.param(lambda team, first: [{"id": 1.5}], "tiles__0__id", "invalid_input", id="id-float"),
    pytest.param(lambda team, first: [{"id": True}], "tiles__0__id", "invalid_input", id="id-bool"),
    pytest.param(lambda team, first: [{"id": None}], "tiles__0__id", "null", id="id-null"),
    pytest.param(lambda team, first: [{"id": {"x": 1}}], "tiles__0__id", "invalid_input", id="id-object"),
    pytest.param(lambda team, first: [{"id": 2**70}], "tiles__0__id", "does_not_exist", id="id-huge"),
    pytest.param(lambda team, first: ["x"], "tiles__0", "invalid_input", id="item-string"),
    pytest.param(lambda team, first: [7], "tiles__0", "invalid_input", id="item-number"),
    pytest.param(lambda team, first: [None], "tiles__0", "null", id="item-null"),
    pytest.param(lambda team, first: [[first]], "tiles__0", "invalid_input", id="item-list"),
    pytest.param(lambda team, first: [{"id": first, "layouts": "wide"}], "tiles__0__layouts", "not_a_dict",
                 id="layouts-string"),
    pytest.param(lambda team, first: [{"id": first, "color": {"r": 1}}], "tiles__0__color", "invalid_input", id="color-object"),
    pytest.param(lambda team, first: [{"id": first, "deleted": "maybe"}], "tiles__0__deleted", "invalid_input",
                 id="deleted-string"),
    pytest.param(lambda team, first: "tiles", "tiles", "not_a_list", id="tiles-string"),
    pytest.param(lambda team, first: {"id": first}, "tiles", "not_a_list", id="tiles-object"),
    pytest.param(lambda team, first: None, "tiles", "null", id="tiles-null"),
]


@pytest.mark.parametrize(("tiles", "attr", "code"), BAD_TILES)
def test_patch_with_a_bad_tile_returns_400_pointing_at_it_and_changes_nothing(session_client, team, two_tiles,
                                                                               tiles, attr, code):
    dashboard, first, _ = two_tiles

    response = session_client.patch(url(team, dashboard), {"name": "After", "tiles": tiles(team, first.pk)},
                                    format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["type"], body["attr"], body["code"]) == ("validation_error", attr, code)
    assert Dashboard.objects.get(pk=dashboard.pk).name == "Before"
    assert DashboardTile.objects.get(pk=first.pk).layouts == {"sm": {"y": 1}}


def test_create_with_tiles_returns_400_since_a_new_dashboard_has_none(session_client, team, two_tiles):
    _, first, _ = two_tiles

    response = session_client.post(f"/api/projects/{team.id}/dashboards/", {"name": "n", "tiles": [{"id": first.pk}]},
                                   format="json")

    assert (response.status_code, response.json()["attr"]) == (400, "tiles__0__id")


def test_patch_tiles_changes_layouts_and_colours_by_id(session_client, team, two_tiles):
    dashboard, first, second = two_tiles

    response = session_client.patch(url(team, dashboard), {"tiles": [
        {"id": first.pk, "layouts": {"sm": {"y": 9}}}, {"id": second.pk, "color": "green"}]}, format="json")

    assert response.status_code == 200
    assert [(tile["id"], tile["order"], tile["layouts"], tile["color"]) for tile in response.json()["tiles"]] == [
        (second.pk, 0, {"sm": {"y": 2}}, "green"), (first.pk, 1, {"sm": {"y": 9}}, None)]


def test_patch_removing_a_tile_then_changing_it_again_answers_200(session_client, team, two_tiles):
    dashboard, first, second = two_tiles

    response = session_client.patch(url(team, dashboard), {"tiles": [
        {"id": first.pk, "deleted": True}, {"id": first.pk, "color": "red"}]}, format="json")

    assert response.status_code == 200
    assert [tile["id"] for tile in response.json()["tiles"]] == [second.pk]


def test_patch_with_an_empty_tiles_list_changes_nothing(session_client, team, two_tiles):
    dashboard, first, second = two_tiles

    response = session_client.patch(url(team, dashboard), {"tiles": []}, format="json")

    assert [tile["id"] for tile in response.json()["tiles"]] == [first.pk, second.pk]


def test_an_insight_joins_a_dashboard_through_its_own_dashboards(session_client, team, two_tiles):
    dashboard, first, second = two_tiles
    insight = InsightFactory(team=team)

    response = session_client.patch(f"/api/projects/{team.id}/insights/{insight.pk}/", {"dashboards": [dashboard.pk]},
                                    format="json")

    assert response.status_code == 200
    tiles = session_client.get(url(team, dashboard)).json()["tiles"]
    assert [tile["insight"]["id"] for tile in tiles] == [first.insight_id, second.insight_id, insight.pk]
