"""GET /property_definitions/: PostHog's parameters, ordering, envelope and the query budget."""

import json
from urllib.parse import quote

import pytest

from tests.property_definitions.factories import (
    EventPropertyFactory,
    PropertyDefinitionFactory,
    names_of,
    tag,
)

pytestmark = pytest.mark.django_db

EVENT_DEFAULT = ["$browser", "$current_url", "$feature/beta", "amount", "coupon", "plan", "utm_source"]


def events(*names: str) -> str:
    return quote(json.dumps(list(names)))


def test_list_default_returns_event_properties_without_ingestion_internals(session_client, dictionary, pd_url):
    body = session_client.get(pd_url()).json()

    assert (body["count"], body["next"], body["previous"]) == (7, None, None)
    assert names_of_body(body) == EVENT_DEFAULT


def names_of_body(body) -> list[str]:
    return [row["name"] for row in body["results"]]


def test_list_row_is_the_whole_enterprise_body(session_client, frozen, dictionary, pd_url, user):
    definition = dictionary["amount"]
    tag(definition, "revenue", "core")

    body = session_client.get(pd_url("?properties=amount")).json()

    assert body == {
        "count": 1, "next": None, "previous": None,
        "results": [{
            "id": str(definition.id), "name": "amount", "description": "", "tags": ["core", "revenue"],
            "is_numerical": True, "updated_at": None, "updated_by": None, "is_seen_on_filtered_events": None,
            "property_type": "Numeric", "verified": False, "verified_at": None, "verified_by": None, "hidden": False,
        }],
    }


def test_list_event_names_marks_rows_seen_and_puts_them_first(session_client, dictionary, pd_url):
    body = session_client.get(pd_url(f"?event_names={events('purchase')}")).json()

    assert [(row["name"], row["is_seen_on_filtered_events"]) for row in body["results"]] == [
        ("$current_url", True), ("amount", True), ("coupon", True),
        ("$browser", False), ("$feature/beta", False), ("plan", False), ("utm_source", False),
    ]


def test_list_filter_by_event_names_keeps_only_properties_seen_on_them(session_client, dictionary, pd_url):
    response = session_client.get(pd_url(f"?event_names={events('purchase', 'missing')}&filter_by_event_names=true"))

    assert (response.json()["count"], names_of(response)) == (3, ["$current_url", "amount", "coupon"])


def test_list_filter_by_event_names_without_event_names_keeps_properties_seen_on_any_event(
    session_client, dictionary, pd_url
):
    assert "plan" not in names_of(session_client.get(pd_url("?filter_by_event_names=true")))


def test_list_filter_by_event_names_false_keeps_every_row(session_client, dictionary, pd_url):
    response = session_client.get(pd_url(f"?event_names={events('purchase')}&filter_by_event_names=false"))

    assert response.json()["count"] == 7


def test_list_event_names_of_another_project_are_not_seen(session_client, dictionary, other_team, pd_url):
    EventPropertyFactory(team=other_team, event="signup", property="plan")

    response = session_client.get(pd_url(f"?event_names={events('signup')}&filter_by_event_names=true"))

    assert response.json()["count"] == 0


def test_list_exclude_core_properties_drops_dollar_and_campaign_names(session_client, dictionary, pd_url):
    assert names_of(session_client.get(pd_url("?exclude_core_properties=true"))) == ["amount", "coupon", "plan"]


@pytest.mark.parametrize(("value", "expected"), [("true", ["$feature/beta"]),
                                                 ("false", [n for n in EVENT_DEFAULT if n != "$feature/beta"])])
def test_list_is_feature_flag_keeps_or_drops_feature_properties(session_client, dictionary, pd_url, value, expected):
    assert names_of(session_client.get(pd_url(f"?is_feature_flag={value}"))) == expected


def test_list_is_numerical_keeps_numeric_properties(session_client, dictionary, pd_url):
    assert names_of(session_client.get(pd_url("?is_numerical=true"))) == ["amount"]


def test_list_is_numerical_false_filters_nothing(session_client, dictionary, pd_url):
    assert names_of(session_client.get(pd_url("?is_numerical=false"))) == EVENT_DEFAULT


def test_list_exclude_hidden_drops_hidden_rows(session_client, dictionary, pd_url):
    dictionary["plan"].hidden = True
    dictionary["plan"].save()

    assert "plan" not in names_of(session_client.get(pd_url("?exclude_hidden=true")))
    assert "plan" in names_of(session_client.get(pd_url()))


@pytest.mark.parametrize(("search", "expected"), [("CUR", ["$current_url"]), ("ur rl", ["$current_url"]),
                                                  ("o", ["$browser", "amount", "coupon", "utm_source"]), ("%20", EVENT_DEFAULT)])
def test_list_search_matches_every_term_case_insensitively(session_client, dictionary, pd_url, search, expected):
    assert names_of(session_client.get(pd_url(f"?search={search}"))) == expected


def test_list_properties_keeps_the_named_ones(session_client, dictionary, pd_url):
    assert names_of(session_client.get(pd_url("?properties=plan,coupon,nope"))) == ["coupon", "plan"]


def test_list_excluded_properties_drops_the_named_ones(session_client, dictionary, pd_url):
    response = session_client.get(pd_url(f"?excluded_properties={events('plan', 'coupon')}"))

    assert names_of(response) == ["$browser", "$current_url", "$feature/beta", "amount", "utm_source"]


@pytest.mark.parametrize(("query", "expected"), [("type=person", ["email"]),
                                                 ("type=group&group_type_index=0", ["company_size"]),
                                                 ("type=group&group_type_index=1", []),
                                                 ("type=session", ["$session_duration"])])
def test_list_type_selects_the_kind(session_client, dictionary, pd_url, query, expected):
    assert names_of(session_client.get(pd_url(f"?{query}"))) == expected


def test_list_verified_rows_come_first(session_client, dictionary, pd_url):
    dictionary["plan"].verified = True
    dictionary["plan"].save()

    assert names_of(session_client.get(pd_url()))[0] == "plan"


def test_list_limit_and_offset_page_with_links(session_client, dictionary, pd_url):
    body = session_client.get(pd_url("?limit=2&offset=2")).json()

    assert names_of_body(body) == EVENT_DEFAULT[2:4]
    assert body["next"].endswith("?limit=2&offset=4") and body["previous"].endswith("?limit=2")


def test_list_offset_past_the_end_returns_count_and_no_rows(session_client, dictionary, pd_url):
    assert session_client.get(pd_url("?offset=100")).json() | {"next": None, "previous": None} == {
        "count": 7, "next": None, "previous": None, "results": []}


def test_list_other_project_rows_are_absent(session_client, dictionary, other_team, pd_url):
    PropertyDefinitionFactory(team=other_team, name="secret")

    assert "secret" not in names_of(session_client.get(pd_url()))


def test_list_environments_alias_returns_the_same_page(session_client, dictionary, team, pd_url):
    alias = session_client.get(f"/api/environments/{team.id}/property_definitions/")

    assert alias.json() == session_client.get(pd_url()).json()


def test_list_query_budget_holds_for_a_full_page(session_client, team, pd_url, django_assert_max_num_queries, user):
    for index in range(60):
        definition = PropertyDefinitionFactory(team=team, name=f"prop_{index:02}", verified=index % 2 == 0,
                                               verified_by=user, updated_by=user)
        tag(definition, f"t{index % 3}")
        EventPropertyFactory(team=team, event="e", property=definition.name)

    # Session and project lookup, then the page (count included) in one statement.
    with django_assert_max_num_queries(5):  # incl. the rate-limit counter's upsert
        response = session_client.get(pd_url(f"?event_names={events('e')}&search=prop&exclude_hidden=true"))

    assert (response.status_code, response.json()["count"], len(response.json()["results"])) == (200, 60, 60)
