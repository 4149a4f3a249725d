"""Request validation and PostHog's response shapes for queries, events, insights and dashboards.

Insight results are computed by the view (services.insight_result) and handed in through the
serializer context (`results`: insight id → result dict), so serializing never runs a query.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.serializers import UserBasicSerializer
from event_definitions.serializers import TagListField
from insights.dates import check_date
from insights.models import Dashboard, Insight
from insights.query_spec import fail, parse_query
from insights.selectors import regex_check

MAX_TAGS = 100


class SortedTagListField(TagListField):
    """Event definitions' tag normalising, kept sorted (insights and dashboards answer tags sorted)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Tag names; stored lowercased, stripped, without duplicates, and answered sorted.")
        super().__init__(required=False, max_length=MAX_TAGS, **kwargs)

    def to_internal_value(self, data) -> list[str]:
        return sorted(super().to_internal_value(data))


def validate_query_json(value, path: list[str]) -> None:
    """The strict query subset (with its size cap), then regexes (compiled by PostgreSQL itself)."""
    spec = parse_query(value, path)
    filters = list(getattr(spec, "properties", []))
    for series in getattr(spec, "series", []):
        filters += series.properties
    regex_check(filters)


class QueryRequestSerializer(serializers.Serializer):
    query = serializers.JSONField(help_text="An EventsQuery or a TrendsQuery (or a DataTableNode/InsightVizNode around one).")
    client_query_id = serializers.CharField(required=False, allow_blank=True, max_length=200)
    refresh = serializers.JSONField(required=False, allow_null=True, help_text="Accepted for compatibility; queries always run.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=400)


def query_request_query(data) -> dict:
    """The `query` of a validated `POST /query/` body (ValidationError, 400, otherwise).

    A body of exactly `{"query": {...}}` is what QueryRequestSerializer accepts unchanged (its
    JSONField passes any parsed JSON through), so it is answered without building the serializer,
    which costs more per request than the query's own validation; anything else goes through it.
    """
    if type(data) is dict and len(data) == 1 and type(data.get("query")) is dict:
        return data["query"]
    serializer = QueryRequestSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["query"]


class EventsQueryResponseSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    results = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    types = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    hasMore = serializers.BooleanField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class TrendsActionSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    type = serializers.CharField()
    order = serializers.IntegerField()
    name = serializers.CharField()
    custom_name = serializers.CharField(allow_null=True)
    math = serializers.CharField()
    math_property = serializers.CharField(allow_null=True)


class TrendsResultSerializer(serializers.Serializer):
    action = TrendsActionSerializer()
    label = serializers.CharField()
    count = serializers.FloatField()
    data = serializers.ListField(child=serializers.FloatField())
    labels = serializers.ListField(child=serializers.CharField())
    days = serializers.ListField(child=serializers.CharField())
    breakdown_value = serializers.CharField(required=False)


class DateRangeSerializer(serializers.Serializer):
    date_from = serializers.CharField()
    date_to = serializers.CharField()


class TrendsQueryResponseSerializer(serializers.Serializer):
    results = TrendsResultSerializer(many=True)
    timezone = serializers.CharField()
    resolved_date_range = DateRangeSerializer()


class EventSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    distinct_id = serializers.CharField()
    properties = serializers.DictField()
    event = serializers.CharField()
    timestamp = serializers.DateTimeField()


@extend_schema_serializer(many=False)  # one page object, even though it answers the list action
class EventListResponseSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = EventSerializer(many=True)


class InsightSerializer(serializers.ModelSerializer):
    query = serializers.JSONField(required=False, allow_null=True)
    dashboards = serializers.PrimaryKeyRelatedField(
        many=True, required=False, source="live_dashboards", queryset=Dashboard.objects.none(),
        help_text="Ids of the dashboards showing this insight; writing replaces the set.",
    )
    dashboard_tiles = serializers.SerializerMethodField()
    created_by = UserBasicSerializer(read_only=True)
    last_modified_by = UserBasicSerializer(read_only=True)
    filters = serializers.SerializerMethodField()
    order = serializers.SerializerMethodField()
    tags = SortedTagListField()
    is_sample = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    hasMore = serializers.SerializerMethodField()
    columns = serializers.SerializerMethodField()
    types = serializers.SerializerMethodField()
    last_refresh = serializers.SerializerMethodField()
    is_cached = serializers.SerializerMethodField()
    timezone = serializers.SerializerMethodField()
    _create_in_folder = serializers.CharField(required=False, write_only=True, allow_blank=True, max_length=4000)

    class Meta:
        model = Insight
        fields = [
            "id", "short_id", "name", "derived_name", "filters", "query", "order", "deleted", "saved",
            "dashboards", "dashboard_tiles", "last_refresh", "result", "hasMore", "columns", "types",
            "created_at", "created_by", "description", "updated_at", "tags", "favorited", "last_modified_at",
            "last_modified_by", "is_sample", "timezone", "is_cached", "_create_in_folder",
        ]
        read_only_fields = ["id", "short_id", "created_at", "updated_at", "last_modified_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        team = self.context.get("team")
        if team is not None:
            self.fields["dashboards"].child_relation.queryset = Dashboard.objects.filter(team=team, deleted=False)

    def validate_query(self, value):
        if value is not None:
            validate_query_json(value, [])
        return value

    def _result(self, insight) -> dict:
        return self.context.get("results", {}).get(insight.pk) or {}

    @extend_schema_field({"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "dashboard_id": {"type": "integer"}, "deleted": {"type": "boolean"}}}})
    def get_dashboard_tiles(self, insight) -> list:
        return [{"id": tile.pk, "dashboard_id": tile.dashboard_id, "deleted": tile.deleted}
                for tile in insight.live_tiles]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_filters(self, insight) -> dict:
        return {}

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_order(self, insight):
        return None

    def get_is_sample(self, insight) -> bool:
        return False

    @extend_schema_field(OpenApiTypes.ANY)
    def get_result(self, insight):
        return self._result(insight).get("result")

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_hasMore(self, insight):
        return self._result(insight).get("hasMore")

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_columns(self, insight):
        return self._result(insight).get("columns")

    @extend_schema_field(serializers.ListField(child=serializers.ListField(child=serializers.CharField()), allow_null=True))
    def get_types(self, insight):
        return self._result(insight).get("types")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_last_refresh(self, insight):
        moment = self._result(insight).get("last_refresh")
        return serializers.DateTimeField().to_representation(moment) if moment else None

    def get_is_cached(self, insight) -> bool:
        return bool(self._result(insight).get("is_cached"))

    def get_timezone(self, insight) -> str:
        return insight.team.timezone


class DashboardTileWriteSerializer(serializers.Serializer):
    """One item of a dashboard PATCH's `tiles`: a change to an existing tile, named by its id (as in
    PostHog; an insight joins a dashboard through the insight's own `dashboards`)."""

    id = serializers.IntegerField(help_text="The tile to change; required even in a PATCH.")
    layouts = serializers.DictField(required=False)
    color = serializers.CharField(required=False, allow_null=True, max_length=400)
    deleted = serializers.BooleanField(required=False, help_text="`true` takes the tile off the dashboard.")

    def validate(self, attrs):
        # A PATCH makes nested fields optional too; without an id there is nothing to change.
        if "id" not in attrs:
            raise serializers.ValidationError({"id": [serializers.ErrorDetail("This field is required.", "required")]})
        return attrs


class DashboardTileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(help_text="The tile's position: tiles come sorted by their `sm` layout's `y`.")
    layouts = serializers.DictField()
    color = serializers.CharField(allow_null=True)
    insight = InsightSerializer(read_only=True)
    text = serializers.JSONField(allow_null=True, default=None)
    deleted = serializers.BooleanField()
    is_cached = serializers.BooleanField()
    last_refresh = serializers.DateTimeField(allow_null=True)


class DashboardBasicSerializer(serializers.ModelSerializer):
    created_by = UserBasicSerializer(read_only=True)
    filters = serializers.JSONField(required=False, help_text="`date_from` / `date_to` override every tile's dates.")
    is_shared = serializers.SerializerMethodField()
    creation_mode = serializers.SerializerMethodField()
    tags = SortedTagListField()
    _create_in_folder = serializers.CharField(required=False, write_only=True, allow_blank=True, max_length=4000)

    class Meta:
        model = Dashboard
        fields = [
            "id", "name", "description", "pinned", "created_at", "created_by", "last_accessed_at", "is_shared",
            "deleted", "creation_mode", "filters", "tags", "team_id", "_create_in_folder",
        ]
        read_only_fields = ["id", "created_at", "last_accessed_at", "team_id"]

    def validate_filters(self, value):
        if value is None:
            return {}
        if not isinstance(value, dict):
            fail([], "Expected an object.", "invalid_type")
        for key, item in value.items():
            if key not in ("date_from", "date_to", "explicitDate"):
                fail([str(key)[:100]], f"Unknown filter '{str(key)[:100]}'.", "unknown_field")
            if key != "explicitDate" and item is not None and not (key == "date_from" and item == "all"):
                check_date(item, [key])
        return value

    def get_is_shared(self, dashboard) -> bool:
        return False

    def get_creation_mode(self, dashboard) -> str:
        return "default"


def _layout_y(tile) -> float:
    """PostHog orders tiles by their `sm` layout's `y` (100 when it has none); layouts are free JSON."""
    small = tile.layouts.get("sm") if isinstance(tile.layouts, dict) else None
    y = small.get("y") if isinstance(small, dict) else None
    return y if isinstance(y, int | float) and not isinstance(y, bool) else 100


class DashboardSerializer(DashboardBasicSerializer):
    tiles = DashboardTileWriteSerializer(many=True, required=False, write_only=True)

    class Meta(DashboardBasicSerializer.Meta):
        fields = [*DashboardBasicSerializer.Meta.fields, "tiles"]

    def validate_tiles(self, tiles: list[dict]) -> list[dict]:
        """Every id names a tile of this dashboard; the error's `attr` points at the offending one."""
        known = set(self.instance.tiles.values_list("pk", flat=True)) if self.instance is not None else set()
        for index, tile in enumerate(tiles):
            if tile["id"] not in known:
                errors = [{} for _ in tiles]
                errors[index] = {"id": [serializers.ErrorDetail(
                    f"Tile {tile['id']} is not on this dashboard.", "does_not_exist")]}
                raise serializers.ValidationError(errors)
        return tiles

    def to_representation(self, dashboard):
        data = super().to_representation(dashboard)
        context = {**self.context, "results": self.context.get("tile_results", {})}
        shown = InsightSerializer(context=context)
        data["tiles"] = [
            {"id": tile.pk, "order": order, "layouts": tile.layouts, "color": tile.color,
             "insight": InsightSerializer(tile.insight, context=context).data, "text": None,
             "deleted": tile.deleted,
             "is_cached": bool(context["results"].get(tile.insight_id, {}).get("is_cached")),
             "last_refresh": shown.get_last_refresh(tile.insight)}
            for order, tile in enumerate(sorted(dashboard.live_tiles, key=_layout_y))
        ]
        return data


class DashboardResponseSerializer(DashboardBasicSerializer):
    """The schema of a dashboard as answered (with its tiles); writes use DashboardSerializer."""

    tiles = DashboardTileSerializer(many=True, read_only=True)

    class Meta(DashboardBasicSerializer.Meta):
        fields = [*DashboardBasicSerializer.Meta.fields, "tiles"]
