"""List filters and ordering for event definitions (PostHog §5.2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework.exceptions import ValidationError

STALE_EVENT_DAYS = 30
EVENT_TYPES = ("event", "event_custom", "event_posthog")
# `all` and `action_event` come from PostHog's combined events-and-actions view; here they list events.
EVENT_TYPE_ALIASES = {"all": "event", "action_event": "event"}
ORDERING_KEYS = ("name", "last_seen_at", "last_seen_at::date", "created_at", "created_at::date")
ORDERING_CHOICES = [*ORDERING_KEYS, *(f"-{key}" for key in ORDERING_KEYS)]
# Filters that narrow the list enough for an exact count (without them the count is capped).
SELECTIVE_PARAMS = ("search", "names", "tags")

# Events PostHog itself captures and documents; `verified=true` lists them as if verified.
CORE_EVENTS = frozenset({
    "$pageview", "$pageleave", "$autocapture", "$screen", "$identify", "$create_alias", "$groupidentify",
    "$set", "$feature_flag_called", "$feature_view", "$feature_interaction", "$exception", "$rageclick",
    "$dead_click", "$web_vitals", "$copy_autocapture", "$survey_shown", "$survey_sent", "$survey_dismissed",
    "$opt_in", "$snapshot", "$ai_generation", "$ai_trace", "$ai_span", "$ai_embedding",
})


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


def order_sql(key: str) -> str:
    descending = key.startswith("-")
    field = key.lstrip("-")
    if field == "name":
        # `name` is never NULL; no NULLS clause, so the `name COLLATE "C"` indexes serve both directions.
        return 'd.name COLLATE "C" DESC' if descending else 'd.name COLLATE "C"'
    if field.endswith("::date"):
        # The exact expression of the `event_definition_default_order` index, so the index serves it.
        column = f"(d.{field.removesuffix('::date')} AT TIME ZONE 'UTC')::date"
    else:
        column = f"d.{field}"
    # NULLs sort last when descending and first when ascending, as PostgreSQL does by default.
    return f"{column} DESC NULLS LAST" if descending else f"{column} ASC NULLS FIRST"


def ordering_for(values: list[str], searching: bool) -> str:
    """ORDER BY of the list: the requested keys, then `name`; shortest names first when searching."""
    keys = ordering_keys(values)
    explicit = bool(keys)
    if not keys:
        keys = ["-last_seen_at::date", "name"]
    elif not any(key.lstrip("-") == "name" for key in keys):
        keys.append("name")
    expressions = [order_sql(key) for key in keys]
    if searching and not explicit:
        expressions.insert(0, "length(d.name)")
    return ", ".join(expressions)


def param(params, name: str) -> str:
    """A query parameter as a form field would clean it: NUL dropped, whitespace stripped ('' if absent)."""
    return clean_text(params.get(name) or "").strip()


@dataclass(frozen=True)
class EventDefinitionListQuery:
    """Every filter of PostHog's list (§5.2), parsed and validated, as SQL over `d` (the definitions).

    The list is the hottest read of the API; its page is built from this SQL directly rather than
    through the ORM and django-filter, whose per-request compile and copy work cost more than the
    query itself at 100,000 definitions (see bench/bench_event_definitions.py).
    """

    where: str
    params: dict
    order_by: str
    selective: bool

    @classmethod
    def parse(cls, params) -> EventDefinitionListQuery:
        clauses, values = [], {}

        def bind(value) -> str:
            key = f"f{len(values)}"
            values[key] = value
            return f"%({key})s"

        terms = search_terms(param(params, "search"))
        for term in terms:
            # A bare ILIKE with the term's wildcards left live, as PostHog does: Django's icontains
            # (`UPPER(name) LIKE`) could not use the trigram index.
            clauses.append(f"d.name ILIKE {bind(f'%{term}%')}")
        event_type = param(params, "event_type")
        if event_type:
            event_type = EVENT_TYPE_ALIASES.get(event_type, event_type)
            if event_type not in EVENT_TYPES:
                raise ValidationError(
                    {"event_type": ["Not a valid event type. Use one of: event, event_custom, event_posthog."]},
                    code="invalid",
                )
            if event_type == "event_custom":
                clauses.append("d.name NOT LIKE '$%%'")
            elif event_type == "event_posthog":
                clauses.append("d.name LIKE '$%%'")
        if is_true(param(params, "exclude_hidden")):
            clauses.append("NOT d.hidden")
        if is_true(param(params, "exclude_stale")):
            cutoff = bind(timezone.now() - timedelta(days=STALE_EVENT_DAYS))
            clauses.append(f"(d.last_seen_at IS NULL OR d.last_seen_at >= {cutoff})")
        verified = param(params, "verified").lower()
        if verified in ("true", "false"):
            negation = "" if verified == "true" else "NOT "
            clauses.append(f"{negation}(d.verified OR d.name = ANY({bind(sorted(CORE_EVENTS))}))")
        excluded = param(params, "excluded_properties")
        if excluded:
            names = parse_json_names(excluded, "excluded_properties", strict=True)
            if names:
                clauses.append(f"NOT (d.name = ANY({bind(names)}))")
        if param(params, "names"):
            names = split_list(params.getlist("names") if hasattr(params, "getlist") else [params.get("names")])
            if names:
                clauses.append(f"d.name = ANY({bind(names)})")
        raw_tags = param(params, "tags")
        tags = parse_json_names(raw_tags, "tags", strict=False) if raw_tags else None
        if tags is not None:  # PostHog ignores a `tags` value that is not a JSON array
            # A semi-join from the project's matching tags (`%(team)s` is the statement's project), not
            # an EXISTS probe per definition: a third of the time at 100,000 definitions.
            clauses.append(
                "d.id IN (SELECT ti.event_definition_id FROM event_definitions_taggeditem ti"
                " JOIN event_definitions_tag t ON t.id = ti.tag_id"
                f" WHERE t.team_id = %(team)s AND t.name = ANY({bind(tags)}))"
            )
        orderings = params.getlist("ordering") if hasattr(params, "getlist") else []
        return cls(
            where=" AND ".join(clauses) or "TRUE",
            params=values,
            order_by=ordering_for(orderings, searching=bool(terms)),
            selective=any(param(params, name) for name in SELECTIVE_PARAMS),
        )
