"""`/query/`, `/events/`, `/insights/` and `/dashboards/` under a project."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.exceptions import MethodNotAllowed, NotFound, ValidationError
from rest_framework.response import Response

from ingestion.models import Event
from insights import event_params, selectors, services
from insights.filters import DashboardFilterSet, InsightFilterSet
from insights.models import Dashboard, DashboardTile, Insight
from insights.parsers import PARSER_CLASSES
from insights.query_spec import fail
from insights.rendering import json_response
from insights.serializers import (
    DashboardBasicSerializer,
    DashboardResponseSerializer,
    DashboardSerializer,
    EventListResponseSerializer,
    EventSerializer,
    EventsQueryResponseSerializer,
    InsightSerializer,
    QueryRequestSerializer,
    TrendsQueryResponseSerializer,
    query_request_query,
)
from posthog_core.db_routing import replica_read
from posthog_core.pagination import parse_non_negative
from posthog_core.viewsets import UUID_LOOKUP_REGEX, TeamScopedViewSetMixin

REFRESH_VALUES = ("true", "1", "blocking", "force_blocking", "force_cache")
HARD_DELETE = 'Hard delete of this model is not allowed. Use a patch API call to set "deleted" to true'
EVENT_PARAMS = ("event", "distinct_id", "properties", "after", "before", "cursor")


def wants_refresh(request) -> bool:
    return str(request.query_params.get("refresh", "")).lower() in REFRESH_VALUES


def next_query(params, cursor: str) -> str:
    """The query string with `cursor` set, in the parameters' own order (what QueryDict.copy() and
    urlencode() give, without the deep copy)."""
    pairs = [(key, cursor if key == "cursor" else value) for key, values in params.lists()
             for value in (values[-1:] if key == "cursor" else values)]
    if "cursor" not in params:
        pairs.append(("cursor", cursor))
    return urlencode(pairs)


def result_or_none(**kwargs) -> dict:
    """A stored query that no longer runs (a dashboard's dates inverting its range) shows no result
    instead of failing the whole insight or dashboard."""
    try:
        return services.insight_result(**kwargs)
    except ValidationError:
        return {"result": None, "last_refresh": None, "is_cached": False}


class QueryViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    scope_object = "query"
    analytics_actions = ("create",)
    required_scopes = ["query:read"]  # running a query reads data, whatever the HTTP method
    queryset = Event.objects.none()
    serializer_class = QueryRequestSerializer
    parser_classes = PARSER_CLASSES
    pagination_class = None
    filter_backends = []

    @extend_schema(request=QueryRequestSerializer, responses={200: PolymorphicProxySerializer(
        component_name="QueryResponse", resource_type_field_name=None,
        serializers=[EventsQueryResponseSerializer, TrendsQueryResponseSerializer])})
    @replica_read
    def create(self, request, **kwargs):
        query = query_request_query(request.data)
        return json_response(services.query_execute(team=self.team, query=query, user=request.user, embed_json=True))


@extend_schema_view(list=extend_schema(responses=EventListResponseSerializer, parameters=event_params.LIST_PARAMETERS))
class EventViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    scope_object = "query"
    analytics_actions = ("list", "retrieve")
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    pagination_class = None
    filter_backends = []
    lookup_value_regex = UUID_LOOKUP_REGEX

    @replica_read
    def list(self, request, **kwargs):
        params = {key: request.query_params.get(key) for key in EVENT_PARAMS}
        for key, value in params.items():
            if value and "\x00" in value:
                fail([key], "Null characters are not allowed.", "null_characters_not_allowed")
        limit = min(parse_non_negative(request.query_params.get("limit"), "limit", 100, 1), 10_000)
        rows, cursor = selectors.events_list(team=self.team, params=params, limit=limit)
        next_url = request.build_absolute_uri(f"{request.path}?{next_query(request.query_params, cursor)}") if cursor else None
        return json_response({"next": next_url, "results": rows})

    def retrieve(self, request, pk=None, **kwargs):
        event = self.get_queryset().filter(uuid=pk).first()
        if event is None:
            raise NotFound()
        return Response({"id": str(event.uuid), "distinct_id": event.distinct_id, "properties": event.properties,
                         "event": event.event, "timestamp": event.timestamp.isoformat()})


class NoDestroyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Every action but destroy: insights and dashboards are deleted by PATCH (soft delete)."""


class SoftDeleteMixin:
    """Live objects for reads; updates also reach soft-deleted ones so `deleted: false` restores."""

    def safely_get_queryset(self, queryset):
        if self.action in ("update", "partial_update"):
            return queryset
        return queryset.filter(deleted=False)

    def http_method_not_allowed(self, request, *args, **kwargs):
        # No destroy action (so the schema lists no DELETE); say how to delete instead.
        detail = HARD_DELETE if request.method == "DELETE" else None
        raise MethodNotAllowed(request.method, detail=detail)


def _write_data(validated: dict) -> dict:
    data = dict(validated)
    if "live_dashboards" in data:
        data["dashboards"] = data.pop("live_dashboards")
    return data


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("refresh", OpenApiTypes.STR, description="Ignored on lists.")]),
    retrieve=extend_schema(parameters=[OpenApiParameter(
        "refresh", OpenApiTypes.STR, description="`true` recomputes; otherwise a result under 15 minutes old is reused.")]),
)
class InsightViewSet(SoftDeleteMixin, TeamScopedViewSetMixin, NoDestroyViewSet):
    scope_object = "insight"
    analytics_actions = ("list", "retrieve")
    queryset = Insight.objects.select_related("team", "created_by", "last_modified_by").prefetch_related(
        "dashboard_tiles__dashboard").order_by("-last_modified_at", "-id")
    serializer_class = InsightSerializer
    parser_classes = PARSER_CLASSES
    filterset_class = InsightFilterSet

    def results_for(self, insight: Insight) -> dict:
        return {insight.pk: result_or_none(insight=insight, refresh=wants_refresh(self.request))}

    def get_serializer(self, *args, **kwargs):
        # Lists show cached results only: computing every insight's query would make a list O(n) queries.
        if self.action == "list" and args:
            kwargs.setdefault("context", {**self.get_serializer_context(), "results": {
                insight.pk: services.insight_result(insight=insight, cache_only=True) for insight in args[0]}})
        return super().get_serializer(*args, **kwargs)

    @replica_read
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @replica_read
    def retrieve(self, request, *args, **kwargs):
        insight = self.get_object()
        return Response(self.get_serializer(insight, context={**self.get_serializer_context(),
                                                              "results": self.results_for(insight)}).data)

    def perform_create(self, serializer):
        serializer.instance = services.insight_create(team=self.team, user=self.request.user,
                                                      data=_write_data(serializer.validated_data))
        serializer.context["results"] = self.results_for(serializer.instance)

    def perform_update(self, serializer):
        serializer.instance = services.insight_update(insight=serializer.instance, user=self.request.user,
                                                      data=_write_data(serializer.validated_data))
        serializer.context["results"] = self.results_for(serializer.instance)


class DashboardViewSet(SoftDeleteMixin, TeamScopedViewSetMixin, NoDestroyViewSet):
    scope_object = "dashboard"
    analytics_actions = ("list", "retrieve")
    queryset = Dashboard.objects.select_related("created_by").order_by("-pinned", "name", "id")
    serializer_class = DashboardSerializer
    parser_classes = PARSER_CLASSES
    filterset_class = DashboardFilterSet

    def get_serializer_class(self):
        return DashboardBasicSerializer if self.action == "list" else DashboardSerializer

    def safely_get_queryset(self, queryset):
        queryset = super().safely_get_queryset(queryset)
        if self.action == "list":
            return queryset
        tiles = DashboardTile.objects.select_related("insight__team", "insight__created_by",
                                                     "insight__last_modified_by").prefetch_related(
            "insight__dashboard_tiles__dashboard")
        return queryset.prefetch_related(Prefetch("tiles", queryset=tiles))

    def tile_results(self, dashboard: Dashboard) -> dict:
        refresh = wants_refresh(self.request)
        return {tile.insight_id: result_or_none(insight=tile.insight, dashboard=dashboard, tile=tile, refresh=refresh)
                for tile in dashboard.live_tiles}

    @replica_read
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=DashboardResponseSerializer)
    @replica_read
    def retrieve(self, request, *args, **kwargs):
        dashboard = self.get_object()
        return Response(self.get_serializer(dashboard, context={**self.get_serializer_context(),
                                                                "tile_results": self.tile_results(dashboard)}).data)

    @extend_schema(responses=DashboardResponseSerializer)
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(responses=DashboardResponseSerializer)
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(responses=DashboardResponseSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.dashboard_create(team=self.team, user=self.request.user,
                                                        data=dict(serializer.validated_data))
        serializer.context["tile_results"] = {}

    def perform_update(self, serializer):
        dashboard = services.dashboard_update(dashboard=serializer.instance, user=self.request.user,
                                              data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=dashboard.pk)
        serializer.context["tile_results"] = self.tile_results(serializer.instance)
