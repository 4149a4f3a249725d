"""The property definition list's parameters (PostHog's), validated, and turned into SQL over `p`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from event_definitions.models import PropertyDefinition
from posthog_core.schema import json_names_schema

# PostHog's limit on group types per project: `group_type_index` is 0..4.
GROUP_TYPES_LIMIT = 5
TYPES = {
    "event": PropertyDefinition.Type.EVENT,
    "person": PropertyDefinition.Type.PERSON,
    "group": PropertyDefinition.Type.GROUP,
    "session": PropertyDefinition.Type.SESSION,
}
# Event properties that ingestion stores but nobody should filter on: never listed as event properties.
ALWAYS_EXCLUDED_EVENT_PROPERTIES = sorted({
    "distinct_id", "$set", "$set_once", "$initial_referrer", "$initial_referring_domain",
    "$groups", "$group_type", "$group_key", "$group_set", *(f"$group_{index}" for index in range(GROUP_TYPES_LIMIT)),
})
# `$session_entry_*` copies of session properties; the session property is the one to use.
SESSION_ENTRY_PATTERN = r"$session\_entry\_%%"
# Core event properties of PostHog's taxonomy without a `$` prefix (the campaign parameters the SDKs
# capture); `exclude_core_properties=true` drops them along with every `$` name.
CORE_EVENT_PROPERTIES_WITHOUT_DOLLAR = sorted({
    "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "gad_source", "gclsrc",
    "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "twclid", "li_fat_id", "mc_cid", "igshid", "ttclid",
    "rdt_cid", "epik", "qclid", "sccid", "irclid", "_kx", "distinct_id",
})
NUMERICAL_EXCLUDED = ["distinct_id", "timestamp"]
MAX_JSON_NAMES = 1000


@extend_schema_field(json_names_schema(MAX_JSON_NAMES))
class JsonNamesField(serializers.CharField):
    """A JSON-encoded array of names in the query string; the schema states its form."""


def json_names(raw: str, attr: str) -> list[str]:
    """A JSON array of names (numbers are read as their text, as PostHog does); anything else is a 400."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise serializers.ValidationError("Must be a JSON-encoded array of names.", code="invalid") from None
    if not isinstance(value, list) or len(value) > MAX_JSON_NAMES:
        raise serializers.ValidationError(
            f"Must be a JSON-encoded array of at most {MAX_JSON_NAMES} names.", code="invalid"
        )
    names = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise serializers.ValidationError(f"Names must be strings, not {json.dumps(item)[:50]}.", code="invalid")
        name = str(item)
        if "\x00" in name:
            raise serializers.ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
        names.append(name)
    return list(dict.fromkeys(names))


class PropertyDefinitionListQuerySerializer(serializers.Serializer):
    """PostHog's query parameters, with their types; the OpenAPI schema documents the list from it."""

    search = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False,
        help_text="Case-insensitive match on the property name; every whitespace-separated term has to match.",
    )
    type = serializers.ChoiceField(
        choices=list(TYPES), default="event", help_text="Which kind of property definitions to list."
    )
    group_type_index = serializers.IntegerField(
        required=False, min_value=0, max_value=GROUP_TYPES_LIMIT - 1,
        help_text="The group type (0-4) of the properties. Required with `type=group`, refused otherwise.",
    )
    properties = serializers.CharField(
        required=False, allow_blank=True, help_text="Comma-separated property names: only these are listed."
    )
    is_numerical = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="True: only numerical properties (without `distinct_id` and `timestamp`).",
    )
    is_feature_flag = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="True: only feature flag properties (`$feature/...`); false: everything else.",
    )
    event_names = JsonNamesField(
        required=False, allow_blank=True,
        help_text="JSON-encoded array of event names. Each row's `is_seen_on_filtered_events` then says whether "
        "the property was seen on one of them, and those rows come first. Only with `type=event`.",
    )
    filter_by_event_names = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="True: only properties seen on the events of `event_names`.",
    )
    excluded_properties = JsonNamesField(
        required=False, allow_blank=True, help_text="JSON-encoded array of property names to leave out."
    )
    exclude_core_properties = serializers.BooleanField(
        required=False, default=False,
        help_text="True (event properties): leave out PostHog's own properties (`$...` and the campaign parameters).",
    )
    exclude_hidden = serializers.BooleanField(
        required=False, default=False, help_text="True: leave out hidden properties."
    )

    def validate_event_names(self, value: str) -> list[str]:
        return json_names(value, "event_names") if value else []

    def validate_excluded_properties(self, value: str) -> list[str]:
        return json_names(value, "excluded_properties") if value else []

    def validate(self, attrs: dict) -> dict:
        kind = attrs["type"]
        if kind == "group" and attrs.get("group_type_index") is None:
            raise serializers.ValidationError(
                {"group_type_index": ["`group_type_index` must be set for `group` type"]}, code="required"
            )
        if kind != "group" and attrs.get("group_type_index") is not None:
            raise serializers.ValidationError(
                {"group_type_index": ["`group_type_index` can only set for `group` type"]}, code="invalid"
            )
        if kind != "event" and attrs.get("event_names"):
            raise serializers.ValidationError(
                {"event_names": ["`event_names` can only be set for `event` type"]}, code="invalid"
            )
        return attrs


@dataclass(frozen=True)
class PropertyDefinitionListQuery:
    """The validated parameters as SQL over `p` (the definitions), `%(team)s` being the URL's project.

    `seen` is the `is_seen_on_filtered_events` expression: NULL without `event_names`, as PostHog.
    """

    where: str
    seen: str
    params: dict

    @classmethod
    def parse(cls, query_params) -> PropertyDefinitionListQuery:
        serializer = PropertyDefinitionListQuerySerializer(data=query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kind = data["type"]
        values: dict = {"type": int(TYPES[kind]), "group_type_index": data.get("group_type_index", -1)}
        clauses = ["p.type = %(type)s", "coalesce(p.group_type_index, -1) = %(group_type_index)s"]

        def bind(value) -> str:
            key = f"f{len(values)}"
            values[key] = value
            return f"%({key})s"

        names = [name for name in (data.get("properties") or "").split(",") if name]
        if names:
            clauses.append(f"p.name = ANY({bind(names)})")
        if data.get("is_numerical"):
            clauses.append(f"p.is_numerical AND NOT p.name = ANY({bind(NUMERICAL_EXCLUDED)})")
        if data.get("is_feature_flag") is not None:
            negation = "" if data["is_feature_flag"] else "NOT "
            clauses.append(f"p.name {negation}LIKE '$feature/%%'")
        for term in dict.fromkeys((data.get("search") or "").split()):
            # A bare ILIKE (the term's wildcards stay live, as PostHog's), so the trigram index serves it.
            clauses.append(f"p.name ILIKE {bind(f'%{term}%')}")
        if data.get("excluded_properties"):
            clauses.append(f"NOT p.name = ANY({bind(data['excluded_properties'])})")
        if kind == "event":
            if data["exclude_core_properties"]:
                clauses.append(f"p.name NOT LIKE '$%%' AND NOT p.name = ANY({bind(CORE_EVENT_PROPERTIES_WITHOUT_DOLLAR)})")
            else:
                clauses.append(
                    f"NOT p.name = ANY({bind(ALWAYS_EXCLUDED_EVENT_PROPERTIES)}) AND p.name NOT LIKE '{SESSION_ENTRY_PATTERN}'"
                )
        if data["exclude_hidden"]:
            clauses.append("NOT p.hidden")

        seen = "NULL::boolean"
        if kind == "event":
            # The properties capture recorded on those events (or on any event, when only
            # `filter_by_event_names` is sent, as PostHog): one walk of the unique index, then a hash.
            event_names = data.get("event_names") or []
            carried = "SELECT ep.property FROM event_definitions_eventproperty ep WHERE ep.team_id = %(team)s"
            if event_names:
                carried += f" AND ep.event = ANY({bind(event_names)})"
                seen = f"(p.name IN ({carried}))"
            if data.get("filter_by_event_names"):
                clauses.append(f"p.name IN ({carried})")
        return cls(where=" AND ".join(clauses), seen=seen, params=values)
