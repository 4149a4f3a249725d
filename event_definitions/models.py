"""The data dictionary: event definitions (PostHog's enterprise fields in one table), property
definitions, and tags."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Collate, TruncDate
from django.utils import timezone

from posthog_core.utils import uuid7


class EnforcementMode(models.TextChoices):
    ALLOW = "allow"
    REJECT = "reject"


class EventDefinition(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="event_definitions")
    name = models.CharField(max_length=400)
    created_at = models.DateTimeField(default=timezone.now, null=True)
    last_seen_at = models.DateTimeField(null=True)
    # Deprecated in PostHog and always null; kept so the representation matches.
    query_usage_30_day = models.IntegerField(null=True)
    volume_30_day = models.IntegerField(null=True)
    enforcement_mode = models.CharField(max_length=10, choices=EnforcementMode.choices, default=EnforcementMode.ALLOW)
    primary_property = models.CharField(max_length=400, null=True, blank=True)
    schema_version = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    description = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True)
    verified_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    hidden = models.BooleanField(default=False)
    default_columns = ArrayField(models.TextField(), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="unique_event_definition_team_name"),
        ]
        indexes = [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="event_definition_name_trgm"),
            models.Index(fields=["team"], condition=models.Q(enforcement_mode="reject"), name="event_definition_reject"),
            # The list's default order (`last_seen_at::date DESC NULLS LAST, name` in bytewise order) and
            # its name order, so a page is an index walk rather than a sort of the whole project.
            # TruncDate compiles to `(last_seen_at AT TIME ZONE 'UTC')::date`, which is immutable.
            models.Index(
                models.F("team"),
                TruncDate("last_seen_at").desc(nulls_last=True),
                Collate("name", "C"),
                name="event_definition_default_order",
            ),
            models.Index(models.F("team"), Collate("name", "C"), name="event_definition_name_c"),
        ]

    def __str__(self) -> str:
        return self.name


class PropertyDefinition(models.Model):
    class Type(models.IntegerChoices):
        EVENT = 1, "event"
        PERSON = 2, "person"
        GROUP = 3, "group"
        SESSION = 4, "session"

    class PropertyType(models.TextChoices):
        DATETIME = "DateTime"
        STRING = "String"
        NUMERIC = "Numeric"
        BOOLEAN = "Boolean"
        DURATION = "Duration"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="property_definitions")
    name = models.CharField(max_length=400)
    is_numerical = models.BooleanField(default=False)
    property_type = models.CharField(max_length=50, choices=PropertyType.choices, null=True, blank=True)
    type = models.PositiveSmallIntegerField(choices=Type.choices, default=Type.EVENT)
    group_type_index = models.PositiveSmallIntegerField(null=True, blank=True)
    # Deprecated in PostHog; kept for shape compatibility.
    property_type_format = models.CharField(max_length=50, null=True, blank=True)
    volume_30_day = models.IntegerField(null=True)
    query_usage_30_day = models.IntegerField(null=True)
    # PostHog's enterprise fields, in the same table. Database defaults, because capture inserts rows
    # with raw SQL that names only the columns it knows.
    description = models.TextField(blank=True, default="", db_default="")
    updated_at = models.DateTimeField(null=True)
    updated_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    verified = models.BooleanField(default=False, db_default=False)
    verified_at = models.DateTimeField(null=True)
    verified_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    hidden = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "team", "name", "type", models.functions.Coalesce("group_type_index", -1),
                name="unique_property_definition",
            ),
            models.CheckConstraint(
                condition=models.Q(property_type__in=["DateTime", "String", "Numeric", "Boolean", "Duration"])
                | models.Q(property_type__isnull=True),
                name="property_type_is_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(type=3) | models.Q(group_type_index__isnull=False),
                name="group_type_index_set_for_groups",
            ),
        ]
        indexes = [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="property_definition_name_trgm"),
            # The list's order within one kind (`verified DESC, name` bytewise), so a page is an index walk.
            models.Index(
                models.F("team"), models.F("type"), models.functions.Coalesce("group_type_index", -1),
                models.F("verified").desc(), Collate("name", "C"),
                name="property_definition_list_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EventProperty(models.Model):
    """A property seen on an event of the project: capture writes one row per new (event, property)
    pair. The property list's `event_names` filter and `is_seen_on_filtered_events` read it."""

    id = models.BigAutoField(primary_key=True)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+", db_index=False)
    event = models.CharField(max_length=400)
    property = models.CharField(max_length=400)

    class Meta:
        constraints = [
            # Also the index `event = ANY(names)` walks to list the properties of some events.
            models.UniqueConstraint(fields=["team", "event", "property"], name="unique_event_property"),
        ]

    def __str__(self) -> str:
        return f"{self.event}.{self.property}"


class Tag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "team"], name="unique_tag_name_team")]

    def __str__(self) -> str:
        return self.name


class TaggedItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_items")
    event_definition = models.ForeignKey(
        EventDefinition, on_delete=models.CASCADE, null=True, blank=True, related_name="tagged_items"
    )
    property_definition = models.ForeignKey(
        PropertyDefinition, on_delete=models.CASCADE, null=True, blank=True, related_name="tagged_items"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tag", "event_definition"], name="unique_tagged_event_definition"),
            models.UniqueConstraint(fields=["tag", "property_definition"], name="unique_tagged_property_definition"),
            models.CheckConstraint(
                condition=models.Q(event_definition__isnull=False, property_definition__isnull=True)
                | models.Q(event_definition__isnull=True, property_definition__isnull=False),
                name="tagged_item_exactly_one_object",
            ),
        ]


class QueryLog(models.Model):
    """One row per query execution (insight, `/query/`, export render) naming the events it read.

    `metrics/` counts these rows over the last 30 days; the GIN index serves `event_names @> ARRAY[name]`.
    """

    id = models.BigAutoField(primary_key=True)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="query_logs")
    event_names = ArrayField(models.TextField(), default=list)
    source = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            GinIndex(fields=["event_names"], name="query_log_event_names"),
            models.Index(fields=["team", "created_at"], name="query_log_team_created"),
        ]
