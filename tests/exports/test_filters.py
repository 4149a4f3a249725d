"""ExportedAssetFilterSet run directly on a queryset."""

import pytest

from exports.filters import ExportedAssetFilterSet
from exports.models import ExportedAsset
from tests.exports.factories import ExportedAssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assets(team):
    return {
        "png": ExportedAssetFactory(team=team, export_format="image/png"),
        "csv_events": ExportedAssetFactory(team=team, export_format="text/csv",
                                           export_context={"path": "/api/projects/1/events?event=Signup"}),
        "csv_insights": ExportedAssetFactory(team=team, export_format="text/csv",
                                             export_context={"path": "/api/projects/1/insights/"}),
    }


def ids(params):
    return set(ExportedAssetFilterSet(params, queryset=ExportedAsset.objects.all()).qs.values_list("id", flat=True))


def test_export_format_filter_supported_value_narrows(assets):
    assert ids({"export_format": "text/csv"}) == {assets["csv_events"].id, assets["csv_insights"].id}


@pytest.mark.parametrize("value", ["image/jpeg", "", "text/csv'; --"])
def test_export_format_filter_unsupported_value_is_ignored(assets, value):
    assert ids({"export_format": value}) == {asset.id for asset in assets.values()}


def test_context_path_filter_is_case_insensitive_contains(assets):
    assert ids({"context_path": "EVENTS?event=signup"}) == {assets["csv_events"].id}


def test_context_path_filter_skips_assets_without_context(assets):
    assert assets["png"].id not in ids({"context_path": "/api"})
