"""List filters and ordering for event definitions (PostHog §5.2)."""

from __future__ import annotations

import json
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet
from django.db.models.functions import Collate, Length, TruncDate
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from event_definitions.models import EventDefinition, TaggedItem

STALE_EVENT_DAYS = 30
EVENT_TYPES = ("event", "event_custom", "event_posthog")
# `all` and `action_event` come from PostHog's combined events-and-actions view; here they list events.
EVENT_TYPE_ALIASES = {"all": "event", "action_event": "event"}
ORDERING_KEYS = ("name", "last_seen_at", "last_seen_at::date", "created_at", "created_at::date")
ORDERING_CHOICES = [*ORDERING_KEYS, *(f"-{key}" for key in ORDERING_KEYS)]

# Events PostHog itself captures and documents; `verified=true` lists them as if verified.
CORE_EVENTS = frozenset({
    "$pageview", "$pageleave", "$autocapture", "$screen", "$identify", "$create_alias", "$groupidentify",
    "$set", "$feature_flag_called", "$feature_view", "$feature_interaction", "$exception", "$rageclick",
    "$dead_click", "$web_vitals", "$copy_autocapture", "$survey_shown", "$survey_sent", "$survey_dismissed",
    "$opt_in", "$snapshot", "$ai_generation", "$ai_trace", "$ai_span", "$ai_embedding",
})


class UnescapedILike(Lookup):
    """`name ILIKE '%term%'` with the term's wildcards left live, as PostHog does.

    Django's `icontains` compiles to `UPPER(name) LIKE UPPER(...)`, which the trigram GIN index
    cannot serve; a bare ILIKE can.
    """

    lookup_name = "unescaped_icontains"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *[f"%{param}%" for param in rhs_params]]


EventDefinition._meta.get_field("name").register_lookup(UnescapedILike)


def clean_text(value: str) -> str:
    """PostgreSQL text cannot hold NUL; PostHog strips it from user-supplied names and terms."""
    return value.replace("\x00", "")


def split_list(values: list[str]) -> list[str]:
    """Repeated and comma-joined values alike: `?names=a&names=b` == `?names=a,b`."""
    return [clean_text(part).strip() for value in values for part in value.split(",") if clean_text(part).strip()]


def search_terms(raw: str) -> list[str]:
    return list(dict.fromkeys(term for term in clean_text(raw).split(" ") if term))


def is_true(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("true", "1", "yes")


def parse_json_names(raw: str, attr: str, strict: bool) -> list[str] | None:
    """A JSON array of names; None when absent or (lenient mode) not an array."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list):
        if strict:
            raise ValidationError({attr: ["Must be a JSON array of names."]}, code="invalid")
        return None
    return [clean_text(str(item)) for item in value if item is not None]


def ordering_keys(values: list[str]) -> list[str]:
    """Valid keys in request order, the first occurrence of each field winning; unknown keys dropped."""
    keys, seen = [], set()
    for key in split_list(values):
        field = key.lstrip("-")
        if key in ORDERING_CHOICES and field not in seen:
            seen.add(field)
            keys.append(key)
    return keys


def order_expression(key: str):
    descending = key.startswith("-")
    field = key.lstrip("-")
    if field == "name":
        # `name` is never NULL; no NULLS clause, so the `name COLLATE "C"` indexes serve both directions.
        expression = Collate("name", "C")
        return expression.desc() if descending else expression.asc()
    if field.endswith("::date"):
        expression = TruncDate(field.removesuffix("::date"))
    else:
        expression = F(field)
    # NULLs sort last when descending and first when ascending, as PostgreSQL does by default.
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_first=True)


def ordering_for(values: list[str], searching: bool) -> list:
    keys = ordering_keys(values)
    explicit = bool(keys)
    if not keys:
        keys = ["-last_seen_at::date", "name"]
    elif not any(key.lstrip("-") == "name" for key in keys):
        keys.append("name")
    expressions = [order_expression(key) for key in keys]
    if searching and not explicit:
        expressions.insert(0, Length("name").asc())
    return expressions


class NulFreeCharField(forms.CharField):
    """Django's form CharField rejects NUL outright; PostHog drops it from query parameters instead."""

    def to_python(self, value):
        return super().to_python(clean_text(value) if isinstance(value, str) else value)


class TextFilter(django_filters.CharFilter):
    field_class = NulFreeCharField


class EventDefinitionFilterSet(django_filters.FilterSet):
    """Every filter of PostHog's list; ordering is applied last by `filter_queryset`."""

    search = TextFilter(method="filter_search")
    event_type = TextFilter(method="filter_event_type")
    exclude_hidden = TextFilter(method="filter_exclude_hidden")
    exclude_stale = TextFilter(method="filter_exclude_stale")
    verified = TextFilter(method="filter_verified")
    excluded_properties = TextFilter(method="filter_excluded_properties")
    names = TextFilter(method="filter_names")
    tags = TextFilter(method="filter_tags")

    class Meta:
        model = EventDefinition
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for term in search_terms(value):
            queryset = queryset.filter(name__unescaped_icontains=term)
        return queryset

    def filter_event_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        event_type = EVENT_TYPE_ALIASES.get(value, value)
        if event_type not in EVENT_TYPES:
            raise ValidationError(
                {"event_type": ["Not a valid event type. Use one of: event, event_custom, event_posthog."]},
                code="invalid",
            )
        if event_type == "event_custom":
            return queryset.exclude(name__startswith="$")
        if event_type == "event_posthog":
            return queryset.filter(name__startswith="$")
        return queryset

    def filter_exclude_hidden(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(hidden=False) if is_true(value) else queryset

    def filter_exclude_stale(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not is_true(value):
            return queryset
        cutoff = timezone.now() - timedelta(days=STALE_EVENT_DAYS)
        return queryset.filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__gte=cutoff))

    def filter_verified(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        verified_or_core = Q(verified=True) | Q(name__in=CORE_EVENTS)
        lowered = value.strip().lower()
        if lowered == "true":
            return queryset.filter(verified_or_core)
        if lowered == "false":
            return queryset.exclude(verified_or_core)
        return queryset

    def filter_excluded_properties(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        names = parse_json_names(value, "excluded_properties", strict=True)
        return queryset.exclude(name__in=names) if names else queryset

    def filter_names(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        names = split_list(self.data.getlist("names") if hasattr(self.data, "getlist") else [value])
        return queryset.filter(name__in=names) if names else queryset

    def filter_tags(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        tags = parse_json_names(value, "tags", strict=False)
        if tags is None:
            return queryset  # PostHog ignores a `tags` value that is not a JSON array
        tagged = TaggedItem.objects.filter(event_definition=OuterRef("pk"), tag__name__in=tags)
        return queryset.filter(Exists(tagged))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.data
        values = data.getlist("ordering") if hasattr(data, "getlist") else []
        return queryset.order_by(*ordering_for(values, searching=bool(search_terms(data.get("search", "")))))
