"""Event definition list at 100,000 definitions (issue #3): project A and project B each hold
100,000 definitions (realistic names, 30% with tags, owners and verification, a spread of
`last_seen_at`). For each case the API's p50/p99 over 300 requests is compared with a baseline
measured in the same run: the same page (count, rows, tags, users) fetched by ONE hand-written SQL
statement through psycopg and serialized with orjson. Target: API p50 ≤ 2× baseline p50."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import orjson

from bench.harness import Context, time_calls

ROWS_PER_PROJECT = 100_000
REQUESTS = 300
VERBS = ["viewed", "clicked", "completed", "started", "opened", "closed", "submitted", "shared", "deleted", "created",
         "updated", "exported", "imported", "searched", "filtered", "played", "paused", "joined", "left", "invited",
         "upgraded", "downgraded", "cancelled", "renewed", "downloaded", "uploaded", "liked", "rated", "scrolled",
         "hovered", "dismissed", "accepted", "rejected", "archived", "restored", "copied", "printed", "saved",
         "signed", "toggled"]
NOUNS = ["checkout", "cart", "product", "invoice", "dashboard", "report", "insight", "cohort", "funnel", "survey",
         "feedback", "profile", "avatar", "password", "billing", "plan", "coupon", "order", "shipment", "refund",
         "wishlist", "review", "comment", "thread", "message", "notification", "banner", "modal", "tooltip", "tour",
         "onboarding", "tutorial", "video", "podcast", "playlist", "album", "track", "article", "newsletter",
         "webinar", "ticket", "calendar", "meeting", "document", "spreadsheet", "presentation", "folder", "workspace",
         "team", "member", "role", "permission", "token", "webhook", "integration", "plugin", "extension", "theme",
         "language", "currency", "timezone", "address", "payment", "subscription", "trial", "license", "seat",
         "quota", "alert", "incident", "deployment", "release", "feature", "experiment", "variant", "flag",
         "segment", "campaign", "referral", "affiliate", "partner", "vendor", "supplier", "warehouse", "inventory",
         "catalog", "category", "brand", "bundle", "gift", "voucher", "loyalty", "reward", "badge", "streak",
         "leaderboard", "quiz", "lesson", "course", "certificate"]
TAGS = ["billing", "pii", "core", "marketing", "growth", "deprecated", "internal", "mobile", "web", "experiment",
        "revenue", "onboarding"]
SEARCH_ONE = "checkout"
SEARCH_TWO = "checkout completed"
TAG_FILTER = ["billing", "pii"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def definition_name(index: int) -> str:
    name = f"{VERBS[(index // len(NOUNS)) % len(VERBS)]}_{NOUNS[index % len(NOUNS)]}"
    block = index // (len(NOUNS) * len(VERBS))
    name = f"{name}_{block}" if block else name
    return f"${name}" if index % 20 == 7 else name


def seed_project(cursor, team_id: int, user_ids: list[int], rng: random.Random) -> None:
    from posthog_core.utils import uuid7

    tag_ids = {}
    for tag in TAGS:
        cursor.execute("INSERT INTO event_definitions_tag (id, team_id, name) VALUES (%s, %s, %s) RETURNING id",
                       [uuid7(), team_id, tag])
        tag_ids[tag] = cursor.fetchone()[0]
    tagged = []
    columns = ("id, team_id, name, created_at, last_seen_at, enforcement_mode, schema_version, owner_id, description, "
               "updated_at, updated_by_id, verified, verified_at, verified_by_id, hidden, default_columns, primary_property")
    with cursor.copy(f"COPY event_definitions_eventdefinition ({columns}) FROM STDIN") as copy:
        for index in range(ROWS_PER_PROJECT):
            definition_id = uuid7()
            enriched = rng.random() < 0.3
            user = rng.choice(user_ids) if enriched else None
            verified = enriched and rng.random() < 0.6
            seen = None if rng.random() < 0.1 else NOW - timedelta(minutes=rng.randrange(0, 120 * 24 * 60))
            copy.write_row((
                definition_id, team_id, definition_name(index), NOW - timedelta(days=200), seen, "allow", 0, user,
                "Documented event" if enriched else "", NOW, user, verified, NOW if verified else None,
                user if verified else None, False, None, None,
            ))
            if rng.random() < 0.3:
                tagged += [(uuid7(), tag_ids[tag], definition_id) for tag in rng.sample(TAGS, rng.randint(1, 3))]
    with cursor.copy("COPY event_definitions_taggeditem (id, tag_id, event_definition_id) FROM STDIN") as copy:
        for row in tagged:
            copy.write_row(row)


def ensure_seed(ctx: Context):
    from django.db import connection

    from accounts.services import account_bootstrap
    from event_definitions.models import EventDefinition
    from posthog_core.models import OrganizationMembership
    from tests.factories import UserFactory

    user, project_a = account_bootstrap(email="bench-ed@example.com", password="bench-password",
                                        organization="Bench ED", project="Bench ED A")
    _, project_b = account_bootstrap(email="bench-ed-b@example.com", password="bench-password",
                                     organization="Bench ED B", project="Bench ED B")
    counts = [EventDefinition.objects.filter(team=project).count() for project in (project_a, project_b)]
    if counts == [ROWS_PER_PROJECT, ROWS_PER_PROJECT]:
        ctx.note(f"event_definitions seed: reusing {ROWS_PER_PROJECT:,} + {ROWS_PER_PROJECT:,} definitions")
        return user, project_a
    start = time.perf_counter()
    colleagues = [user.id]
    for index in range(4):
        colleague = UserFactory(email=f"bench-ed-colleague{index}-{project_a.id}@example.com")
        OrganizationMembership.objects.get_or_create(organization_id=project_a.organization_id, user=colleague)
        colleagues.append(colleague.id)
    rng = random.Random(3)
    with connection.cursor() as cursor:
        for project in (project_a, project_b):
            cursor.execute("DELETE FROM event_definitions_eventdefinition WHERE team_id = %s", [project.id])
            cursor.execute("DELETE FROM event_definitions_tag WHERE team_id = %s", [project.id])
            seed_project(cursor, project.id, colleagues, rng)
        cursor.execute("ANALYZE event_definitions_eventdefinition")
        cursor.execute("ANALYZE event_definitions_taggeditem")
    ctx.note(f"event_definitions seed: {ROWS_PER_PROJECT:,} + {ROWS_PER_PROJECT:,} definitions by COPY "
             f"in {time.perf_counter() - start:.1f} s")
    return user, project_a


DEFAULT_ORDER = "(d.last_seen_at AT TIME ZONE 'UTC')::date DESC NULLS LAST, d.name COLLATE \"C\""
TAG_EXISTS = ("EXISTS (SELECT 1 FROM event_definitions_taggeditem ti JOIN event_definitions_tag t ON t.id = ti.tag_id "
              "WHERE ti.event_definition_id = d.id AND t.name = ANY(%s))")


def user_columns(alias: str) -> str:
    from accounts.serializers import UserBasicSerializer

    return ", ".join(f"{alias}.{field}" for field in UserBasicSerializer.Meta.fields)


def baseline_sql(where: str, order: str, selective: bool) -> str:
    count = (f"SELECT count(*) FROM event_definitions_eventdefinition d WHERE {where}" if selective else
             f"SELECT count(*) FROM (SELECT 1 FROM event_definitions_eventdefinition d WHERE {where} LIMIT 50001) c")
    return f"""SELECT ({count}) AS total, d.id, d.name, d.owner_id, d.description, d.created_at, d.updated_at,
        d.updated_by_id, d.last_seen_at, d.verified, d.verified_at, d.verified_by_id, d.hidden, d.enforcement_mode,
        d.default_columns, d.primary_property,
        ARRAY(SELECT t.name FROM event_definitions_taggeditem ti JOIN event_definitions_tag t ON t.id = ti.tag_id
              WHERE ti.event_definition_id = d.id ORDER BY t.name) AS tags,
        {user_columns('o')}, {user_columns('u')}, {user_columns('v')}
    FROM event_definitions_eventdefinition d
    LEFT JOIN posthog_core_user o ON o.id = d.owner_id
    LEFT JOIN posthog_core_user u ON u.id = d.updated_by_id
    LEFT JOIN posthog_core_user v ON v.id = d.verified_by_id
    WHERE {where} ORDER BY {order} LIMIT 100 OFFSET %s"""


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def baseline_body(rows: list[tuple], selective: bool) -> bytes:
    from accounts.serializers import UserBasicSerializer

    fields = UserBasicSerializer.Meta.fields
    width = len(fields)

    def user(row, start):
        if row[start] is None:
            return None
        values = dict(zip(fields, row[start:start + width], strict=True))
        return {key: str(value) if key == "uuid" else value for key, value in values.items()}

    total = rows[0][0] if rows else 0
    capped = not selective and total > 50_000
    results = [{
        "id": str(r[1]), "name": r[2], "owner": user(r, 17), "description": r[4], "tags": r[16],
        "created_at": iso(r[5]), "updated_at": iso(r[6]), "updated_by": user(r, 17 + width), "last_seen_at": iso(r[8]),
        "verified": r[9], "verified_at": iso(r[10]), "verified_by": user(r, 17 + 2 * width), "hidden": r[12],
        "enforcement_mode": r[13], "is_action": False, "post_to_slack": False, "default_columns": r[14] or [],
        "primary_property": r[15], "media_preview_urls": [],
    } for r in rows]
    return orjson.dumps({"count": 10_000 if capped else total, "next": None, "previous": None,
                         "count_is_capped": capped, "results": results})


def cases(team_id: int) -> list[tuple[str, dict, str, list, str, bool, int]]:
    """(name, query, WHERE, params, ORDER BY, selective, offset) per measured request."""
    team = "d.team_id = %s"
    one, two = SEARCH_ONE, SEARCH_TWO.split()
    return [
        ("ed_list_default", {}, team, [team_id], DEFAULT_ORDER, False, 0),
        ("ed_search_one_term", {"search": one}, f"{team} AND d.name ILIKE %s", [team_id, f"%{one}%"],
         f"length(d.name), {DEFAULT_ORDER}", True, 0),
        ("ed_search_two_terms", {"search": SEARCH_TWO}, f"{team} AND d.name ILIKE %s AND d.name ILIKE %s",
         [team_id, f"%{two[0]}%", f"%{two[1]}%"], f"length(d.name), {DEFAULT_ORDER}", True, 0),
        ("ed_tags", {"tags": json.dumps(TAG_FILTER)}, f"{team} AND {TAG_EXISTS}", [team_id, TAG_FILTER],
         DEFAULT_ORDER, True, 0),
        ("ed_offset_50000", {"offset": 50_000}, team, [team_id], DEFAULT_ORDER, False, 50_000),
    ]


def note_search_plan(ctx: Context, project) -> None:
    """The plan PostgreSQL picks for the API's own list statement with a search, at this size."""
    from django.db import connection
    from django.http import QueryDict

    from event_definitions.filters import EventDefinitionListQuery
    from event_definitions.selectors import event_definition_page_sql

    query = EventDefinitionListQuery.parse(QueryDict(urlencode({"search": SEARCH_ONE})))
    sql, params = event_definition_page_sql(team=project, query=query, offset=0, limit=100, count_cap=None)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    ctx.note(f"search plan at {ROWS_PER_PROJECT:,} rows uses event_definition_name_trgm: {'event_definition_name_trgm' in plan}")


def run(ctx: Context) -> None:
    from django.db import connection

    from accounts.services import personal_api_key_create

    user, project = ensure_seed(ctx)
    note_search_plan(ctx, project)
    key = personal_api_key_create(user=user, label="bench", scopes=["event_definition:read"])
    client = ctx.http({"Authorization": f"Bearer {key._plain_value}"})
    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection itself, below Django's cursor wrapper
    base = f"/api/projects/{project.id}/event_definitions/"
    p50_ratios = {}
    for name, query, where, params, order, selective, offset in cases(project.id):
        sql = baseline_sql(where, order, selective)
        all_params = params * 2 + [offset]  # the count subquery repeats the WHERE parameters

        def baseline(sql=sql, all_params=all_params, selective=selective) -> bytes:
            with raw.cursor() as cursor:
                cursor.execute(sql, all_params)
                return baseline_body(cursor.fetchall(), selective)

        def api(query=query) -> tuple:
            return client.get(f"{base}?{urlencode(query)}" if query else base)

        status, body, _ = api()
        assert status == 200, body[:300]
        got, expected = json.loads(body), json.loads(baseline())
        assert [r["id"] for r in got["results"]] == [r["id"] for r in expected["results"]], f"{name}: baseline differs"
        assert got["results"] == expected["results"] and got["count"] == expected["count"], f"{name}: bodies differ"
        ctx.note(f"{name}: count {got['count']:,} (capped: {got['count_is_capped']}), page {len(got['results'])} rows")
        api_ms, base_ms = [], []
        for _ in range(REQUESTS // 20):  # interleaved, so drift on a shared machine hits both alike
            api_ms += time_calls(api, 20, warmup=2)
            base_ms += time_calls(baseline, 20, warmup=2)
        ctx.report_latencies(name, api_ms, "sql+orjson", base_ms)
        p50_ratios[name] = sorted(api_ms)[len(api_ms) // 2] / sorted(base_ms)[len(base_ms) // 2]
    worst = max(p50_ratios, key=p50_ratios.get)
    ctx.note(f"event_definitions target p50 <= 2.00x baseline: worst {worst} at {p50_ratios[worst]:.2f}x "
             f"-> {'met' if p50_ratios[worst] <= 2 else 'NOT met'}")
