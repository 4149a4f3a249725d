"""TrendsQuery results against numbers computed independently from the seeded events."""

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from rest_framework.exceptions import ValidationError

from insights.services import query_execute
from tests.insights.factories import NOW, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def trends(team, **query):
    return query_execute(team=team, query={"kind": "TrendsQuery", **query})


def seeded(team, seed=7, count=300, days=20):
    """Random pageviews over the last `days` days; returns (timestamp, distinct_id, plan, amount) tuples."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        at = NOW - timedelta(minutes=rng.randrange(days * 24 * 60))
        distinct_id, plan, amount = f"u{rng.randrange(15)}", rng.choice(["free", "pro", "team", "ent", None]), rng.randrange(100)
        properties = {"amount": amount} | ({"plan": plan} if plan else {})
        make_event(team, "$pageview", at, distinct_id, **properties)
        rows.append((at, distinct_id, plan, amount))
    make_event(team, "other", NOW - timedelta(hours=1), "u1", plan="free", amount=1000)
    return rows


def test_trends_total_last_7_days_matches_daily_counts(team):
    rows = seeded(team)
    first = date(2024, 3, 8)
    expected = [sum(1 for at, *_ in rows if at.date() == first + timedelta(days=i)) for i in range(8)]

    result = trends(team, series=[{"event": "$pageview"}], dateRange={"date_from": "-7d"})["results"][0]

    assert result["data"] == expected
    assert result["count"] == sum(expected)
    assert result["days"] == [(first + timedelta(days=i)).isoformat() for i in range(8)]
    assert result["labels"][0] == "8-Mar-2024"
    assert result["label"] == "$pageview"


def test_trends_dau_counts_unique_distinct_ids_per_day(team):
    rows = seeded(team)
    first = date(2024, 3, 8)
    expected = [len({d for at, d, *_ in rows if at.date() == first + timedelta(days=i)}) for i in range(8)]

    result = trends(team, series=[{"event": "$pageview", "math": "dau"}])["results"][0]

    assert result["data"] == expected


@pytest.mark.parametrize(("math", "combine"), [("sum", sum), ("max", max), ("min", min)])
def test_trends_property_math_aggregates_numeric_values(team, math, combine):
    rows = seeded(team)
    day = date(2024, 3, 14)
    values = [amount for at, _, _, amount in rows if at.date() == day]

    result = trends(team, series=[{"event": "$pageview", "math": math, "math_property": "amount"}])["results"][0]

    assert result["data"][result["days"].index(day.isoformat())] == combine(values)


def test_trends_avg_ignores_non_numeric_values(team):
    make_event(team, "buy", NOW - timedelta(hours=1), amount=10)
    make_event(team, "buy", NOW - timedelta(hours=1), amount="20")
    make_event(team, "buy", NOW - timedelta(hours=1), amount="lots")
    make_event(team, "buy", NOW - timedelta(hours=1), amount={"nested": 1})

    result = trends(team, series=[{"event": "buy", "math": "avg", "math_property": "amount"}])["results"][0]

    assert result["data"][-1] == 15


def test_trends_empty_buckets_are_zeros(team):
    make_event(team, "$pageview", "2024-03-10T10:00:00")

    result = trends(team, series=[{"event": "$pageview"}], dateRange={"date_from": "2024-03-08", "date_to": "2024-03-12"})

    assert result["results"][0]["data"] == [0, 0, 1, 0, 0]


def test_trends_breakdown_folds_the_rest_into_other(team):
    rows = seeded(team)
    in_range = [r for r in rows if r[0].date() >= date(2024, 3, 8)]
    totals = Counter(plan or "$$_posthog_breakdown_null_$$" for _, _, plan, _ in in_range)
    top = sorted(totals, key=lambda value: (-totals[value], value))[:2]

    results = trends(team, series=[{"event": "$pageview"}],
                     breakdownFilter={"breakdown": "plan", "breakdown_limit": 2})["results"]

    assert [r["breakdown_value"] for r in results] == [*top, "$$_posthog_breakdown_other_$$"]
    assert [r["count"] for r in results] == [totals[top[0]], totals[top[1]], len(in_range) - totals[top[0]] - totals[top[1]]]
    assert results[-1]["label"] == "$pageview - Other"


@pytest.mark.parametrize(("math", "combine"), [("sum", sum), ("min", min), ("max", max),
                                               ("avg", lambda values: sum(values) / len(values))])
def test_trends_breakdown_property_math_ranks_and_folds_other_per_day(team, math, combine):
    rows = [r for r in seeded(team) if r[0].date() >= date(2024, 3, 8)]
    by_value = {}
    for _, _, plan, amount in rows:
        by_value.setdefault(plan or "$$_posthog_breakdown_null_$$", []).append(amount)
    top = sorted(by_value, key=lambda value: (-combine(by_value[value]), value))[:2]
    days = [date(2024, 3, 8) + timedelta(days=i) for i in range(8)]

    def daily(keep):
        return [combine(amounts) if (amounts := [a for at, _, plan, a in rows if at.date() == day
                                                  and keep(plan or "$$_posthog_breakdown_null_$$")]) else 0
                for day in days]

    results = trends(team, series=[{"event": "$pageview", "math": math, "math_property": "amount"}],
                     breakdownFilter={"breakdown": "plan", "breakdown_limit": 2})["results"]

    assert [r["breakdown_value"] for r in results] == [*top, "$$_posthog_breakdown_other_$$"]
    assert [r["data"] for r in results] == [pytest.approx(daily(lambda plan, v=v: plan == v)) for v in top] + [
        pytest.approx(daily(lambda plan: plan not in top))]


def test_trends_breakdown_dau_in_other_counts_each_user_once(team):
    for plan in ("a", "b", "c"):
        make_event(team, "$pageview", NOW - timedelta(hours=1), "same-user", plan=plan)
    make_event(team, "$pageview", NOW - timedelta(hours=1), "top-user", plan="a")

    results = trends(team, series=[{"event": "$pageview", "math": "dau"}],
                     breakdownFilter={"breakdown": "plan", "breakdown_limit": 1})["results"]

    assert [(r["breakdown_value"], r["data"][-1]) for r in results] == [("a", 2), ("$$_posthog_breakdown_other_$$", 1)]


def test_trends_breakdown_on_missing_property_returns_empty_result(team):
    seeded(team, count=20)

    result = trends(team, series=[{"event": "$pageview"}], breakdownFilter={"breakdown": "no_such_property"})

    assert result["results"] == []


def test_trends_buckets_split_at_the_project_timezone_midnight(team):
    team.timezone = "America/New_York"
    team.save()
    make_event(team, "$pageview", "2024-03-14T03:30:00")  # 23:30 on the 13th in New York (EDT)
    make_event(team, "$pageview", "2024-03-14T04:30:00")  # 00:30 on the 14th

    result = trends(team, series=[{"event": "$pageview"}], dateRange={"date_from": "2024-03-13", "date_to": "2024-03-14"})

    assert result["results"][0]["data"] == [1, 1]
    assert result["resolved_date_range"] == {"date_from": "2024-03-13T00:00:00-04:00",
                                             "date_to": "2024-03-14T23:59:59.999999-04:00"}


def test_trends_hour_interval_with_minus_24h_has_25_buckets(team):
    make_event(team, "$pageview", "2024-03-14T12:10:00")
    make_event(team, "$pageview", "2024-03-15T11:59:00")

    result = trends(team, series=[{"event": "$pageview"}], interval="hour", dateRange={"date_from": "-24h"})["results"][0]

    assert len(result["data"]) == 25
    assert result["days"][0] == "2024-03-14 12:00:00"
    assert (result["data"][0], result["data"][-2], result["data"][-1]) == (1, 1, 0)


def test_trends_month_start_range_starts_on_the_first(team):
    make_event(team, "$pageview", "2024-02-29T23:00:00")
    make_event(team, "$pageview", "2024-03-01T00:00:00")

    result = trends(team, series=[{"event": "$pageview"}], dateRange={"date_from": "mStart"})["results"][0]

    assert result["days"][0] == "2024-03-01"
    assert len(result["days"]) == 15
    assert result["count"] == 1


def test_trends_week_interval_starts_weeks_on_sunday(team):
    make_event(team, "$pageview", "2024-03-09T12:00:00")  # Saturday
    make_event(team, "$pageview", "2024-03-10T12:00:00")  # Sunday

    result = trends(team, series=[{"event": "$pageview"}], interval="week",
                    dateRange={"date_from": "2024-03-03", "date_to": "2024-03-16"})["results"][0]

    assert (result["days"], result["data"]) == (["2024-03-03", "2024-03-10"], [1, 1])


def test_trends_month_interval_over_three_months(team):
    make_event(team, "$pageview", "2024-01-31T12:00:00")
    make_event(team, "$pageview", "2024-02-01T12:00:00")

    result = trends(team, series=[{"event": "$pageview"}], interval="month", dateRange={"date_from": "-3m"})["results"][0]

    assert result["days"] == ["2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"]
    assert result["data"] == [0, 1, 1, 0]


def test_trends_property_filter_and_custom_name(team):
    make_event(team, "$pageview", NOW - timedelta(hours=1), plan="pro")
    make_event(team, "$pageview", NOW - timedelta(hours=1), plan="free")

    result = trends(team, series=[{"event": "$pageview", "custom_name": "Pro views"}],
                    properties=[{"key": "plan", "value": ["pro"], "operator": "exact", "type": "event"}])["results"][0]

    assert (result["label"], result["count"], result["action"]["custom_name"]) == ("Pro views", 1, "Pro views")


def test_trends_other_project_events_are_not_counted(team, other_team):
    make_event(other_team, "$pageview", NOW - timedelta(hours=1))

    assert trends(team, series=[{"event": "$pageview"}])["results"][0]["count"] == 0


def test_trends_full_result_shape(team):
    make_event(team, "$pageview", "2024-03-15T10:00:00")

    result = trends(team, series=[{"event": "$pageview"}], dateRange={"date_from": "-1d"})

    assert result == {
        "results": [{
            "action": {"id": "$pageview", "type": "events", "order": 0, "name": "$pageview", "custom_name": None,
                       "math": "total", "math_property": None},
            "label": "$pageview", "count": 1, "data": [0, 1], "labels": ["14-Mar-2024", "15-Mar-2024"],
            "days": ["2024-03-14", "2024-03-15"],
        }],
        "timezone": "UTC",
        "resolved_date_range": {"date_from": "2024-03-14T00:00:00+00:00", "date_to": "2024-03-15T23:59:59.999999+00:00"},
    }


@pytest.mark.parametrize(("query", "attr"), [
    ({"series": [{"event": "x", "math": "median"}]}, "query__series__0__math"),
    ({"series": [{"event": "x", "math": "sum"}]}, "query__series__0__math_property"),
    ({"series": [{"event": "x", "math": "sum", "math_property": 5}]}, "query__series__0__math_property"),
    ({"series": [{"event": "x"}], "dateRange": {"date_from": "yesterday-ish"}}, "query__dateRange__date_from"),
    ({"series": [{"event": "x"}], "dateRange": {"date_from": "2024-03-10", "date_to": "2024-03-01"}},
     "query__dateRange__date_from"),
    ({"series": [{"event": "x"}], "interval": "minute"}, "query__interval"),
    ({"series": [{"event": "x"}], "interval": "hour", "dateRange": {"date_from": "-5y"}}, "query__dateRange__date_from"),
    ({"series": [{"event": "x"}], "surprise": 1}, "query__surprise"),
    ({"series": []}, "query__series"),
    ({"series": [{"event": "x", "properties": [{"key": "a", "value": 1, "operator": "between"}]}]},
     "query__series__0__properties__0__operator"),
    ({"series": [{"event": "x"}], "breakdownFilter": {"breakdown": "a", "breakdown_limit": 0}},
     "query__breakdownFilter__breakdown_limit"),
    ({"series": [{"event": "x"}], "properties": [{"key": "a", "value": "(", "operator": "regex"}]},
     "query__properties__0__value"),
])
def test_trends_bad_input_is_a_400_naming_the_path(team, query, attr):
    with pytest.raises(ValidationError) as error:
        trends(team, **query)

    from posthog_core.exception_handler import error_body

    assert error_body(error.value)["attr"] == attr
