"""GET /event_definitions/: reference cases 10–25, ordering, filters and the query budget."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.event_definitions.factories import EventDefinitionFactory, names_of, tag

pytestmark = pytest.mark.django_db

DEFAULT_ORDER = ["$pageview", "entered_free_trial", "installed_app", "purchase", "rated_app", "watched_movie"]


def test_list_reference_project_returns_envelope_with_six_rows(session_client, reference, ed_url):
    body = session_client.get(ed_url()).json()

    assert (body["count"], len(body["results"]), body["next"], body["previous"]) == (6, 6, None, None)
    assert body["count_is_capped"] is False
    assert list(body) == ["count", "next", "previous", "count_is_capped", "results"]


def test_list_without_ordering_sorts_by_last_seen_day_then_name(session_client, reference, ed_url):
    assert names_of(session_client.get(ed_url())) == DEFAULT_ORDER


def test_list_ordering_name_sorts_bytewise(session_client, reference, ed_url):
    assert names_of(session_client.get(ed_url("?ordering=name"))) == DEFAULT_ORDER


def test_list_ordering_minus_name_reverses_name_order(session_client, reference, ed_url):
    assert names_of(session_client.get(ed_url("?ordering=-name"))) == DEFAULT_ORDER[::-1]


def test_list_ordering_last_seen_day_desc_then_name_desc_breaks_ties_by_name(session_client, reference, ed_url):
    response = session_client.get(ed_url("?ordering=-last_seen_at::date&ordering=-name"))

    assert names_of(response) == ["installed_app", "entered_free_trial", "$pageview", "purchase", "rated_app", "watched_movie"]


def test_list_ordering_comma_joined_equals_repeated(session_client, reference, ed_url):
    joined = session_client.get(ed_url("?ordering=-last_seen_at::date,-name"))

    assert names_of(joined) == ["installed_app", "entered_free_trial", "$pageview", "purchase", "rated_app", "watched_movie"]


def test_list_ordering_last_seen_ascending_puts_never_seen_first(session_client, reference, ed_url):
    names = names_of(session_client.get(ed_url("?ordering=last_seen_at")))

    assert names == ["watched_movie", "rated_app", "purchase", "installed_app", "$pageview", "entered_free_trial"]


def test_list_ordering_unknown_key_is_dropped(session_client, reference, ed_url):
    assert names_of(session_client.get(ed_url("?ordering=volume_30_day"))) == DEFAULT_ORDER


@pytest.mark.parametrize("search", ["app", "APP", "%20app%20"])
def test_list_search_matches_case_insensitively_shorter_names_first(session_client, reference, ed_url, search):
    body = session_client.get(ed_url(f"?search={search}")).json()

    assert body["count"] == 2
    assert [row["name"] for row in body["results"]] == ["rated_app", "installed_app"]


def test_list_search_ed_orders_by_length_then_default(session_client, reference, ed_url):
    names = names_of(session_client.get(ed_url("?search=ed")))

    assert names == ["rated_app", "installed_app", "watched_movie", "entered_free_trial"]


def test_list_search_with_explicit_ordering_skips_length_order(session_client, reference, ed_url):
    assert names_of(session_client.get(ed_url("?search=app&ordering=name"))) == ["installed_app", "rated_app"]


@pytest.mark.parametrize(("search", "expected"), [("free tri", ["entered_free_trial"]), ("ed mov", ["watched_movie"])])
def test_list_search_requires_every_term(session_client, reference, ed_url, search, expected):
    assert names_of(session_client.get(ed_url(f"?search={search}"))) == expected


def test_list_search_of_spaces_only_is_no_search(session_client, reference, ed_url):
    assert names_of(session_client.get(ed_url("?search=%20%20"))) == DEFAULT_ORDER


def test_list_search_underscore_is_a_live_wildcard(session_client, reference, ed_url):
    assert names_of(session_client.get(ed_url("?search=rate__app"))) == ["rated_app"]


def test_list_event_type_custom_excludes_dollar_events(session_client, reference, ed_url):
    assert session_client.get(ed_url("?event_type=event_custom")).json()["count"] == 5


def test_list_event_type_posthog_keeps_dollar_events(session_client, reference, ed_url):
    body = session_client.get(ed_url("?event_type=event_posthog")).json()

    assert (body["count"], [row["name"] for row in body["results"]]) == (1, ["$pageview"])


@pytest.mark.parametrize("event_type", ["event", "all", "action_event"])
def test_list_event_type_event_and_aliases_list_everything(session_client, reference, ed_url, event_type):
    assert session_client.get(ed_url(f"?event_type={event_type}")).json()["count"] == 6


def test_list_event_type_unknown_returns_400(session_client, reference, ed_url):
    response = session_client.get(ed_url("?event_type=bogus"))

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error", "code": "invalid_input", "attr": "event_type",
        "detail": "Not a valid event type. Use one of: event, event_custom, event_posthog.",
    }


def test_list_excluded_properties_leaves_names_out(session_client, reference, ed_url):
    body = session_client.get(ed_url('?excluded_properties=["installed_app","purchase"]')).json()

    assert body["count"] == 4
    assert not {"installed_app", "purchase"} & {row["name"] for row in body["results"]}


@pytest.mark.parametrize(
    "query", ["names=installed_app&names=purchase&names=missing_event", "names=installed_app,purchase,missing_event"]
)
def test_list_names_keeps_exact_matches(session_client, reference, ed_url, query):
    assert set(names_of(session_client.get(ed_url(f"?{query}")))) == {"installed_app", "purchase"}


def test_list_tags_matches_any_tag_once_each(session_client, reference, ed_url):
    tag(reference["installed_app"], "billing", "revenue")
    tag(reference["purchase"], "billing")

    body = session_client.get(ed_url('?tags=["billing","revenue"]&limit=1')).json()

    assert body["count"] == 2
    assert [row["name"] for row in body["results"]] == ["installed_app"]


@pytest.mark.parametrize("tags", ["true", "5", '{"a":1}', "not-json"])
def test_list_tags_that_are_not_an_array_are_ignored(session_client, reference, ed_url, tags):
    tag(reference["purchase"], "billing")

    assert session_client.get(ed_url(f"?tags={tags}")).json()["count"] == 6


def test_list_limit_above_bigint_is_clamped(session_client, reference, ed_url):
    response = session_client.get(ed_url("?limit=9223372036854775808"))

    assert (response.status_code, response.json()["count"]) == (200, 6)


def test_list_limit_zero_returns_400(session_client, reference, ed_url):
    response = session_client.get(ed_url("?limit=0"))

    assert (response.status_code, response.json()["attr"]) == (400, "limit")


def test_list_pages_follow_bytewise_name_order(session_client, reference, ed_url, team):
    EventDefinitionFactory.create_batch(300, team=team, name=factory_names())
    first = session_client.get(ed_url()).json()
    pages = [first]
    for _ in range(3):
        pages.append(session_client.get(pages[-1]["next"]).json())

    assert (first["count"], len(first["results"])) == (306, 100)
    assert [row["name"] for row in first["results"][:2]] == ["$pageview", "entered_free_trial"]
    assert [page["results"][0]["name"] for page in pages[1:]] == ["z_event_184", "z_event_274", "z_event_94"]
    assert (len(pages[-1]["results"]), pages[-1]["next"]) == (6, None)


def factory_names():
    import factory

    return factory.Iterator([f"z_event_{n}" for n in range(1, 301)])


def test_list_exclude_stale_keeps_recent_and_never_seen(session_client, team, ed_url):
    now = timezone.now()
    for name, last_seen in {"fresh": now - timedelta(days=1), "stale": now - timedelta(days=45),
                            "ancient": now - timedelta(days=365), "never": None}.items():
        EventDefinitionFactory(team=team, name=name, last_seen_at=last_seen)

    assert set(names_of(session_client.get(ed_url("?exclude_stale=true")))) == {"fresh", "never"}


@pytest.mark.parametrize("query", ["", "?exclude_stale=false"])
def test_list_exclude_stale_absent_or_false_keeps_all(session_client, team, ed_url, query):
    now = timezone.now()
    for name, last_seen in {"fresh": now - timedelta(days=1), "stale": now - timedelta(days=45),
                            "ancient": now - timedelta(days=365), "never": None}.items():
        EventDefinitionFactory(team=team, name=name, last_seen_at=last_seen)

    assert set(names_of(session_client.get(ed_url(query)))) == {"fresh", "stale", "ancient", "never"}


@pytest.mark.parametrize(("value", "expected"), [("true", {"visible"}), ("false", {"visible", "hidden1", "hidden2"})])
def test_list_exclude_hidden_drops_hidden_rows_only_when_true(session_client, team, ed_url, value, expected):
    EventDefinitionFactory(team=team, name="visible")
    EventDefinitionFactory(team=team, name="hidden1", hidden=True)
    EventDefinitionFactory(team=team, name="hidden2", hidden=True)

    assert set(names_of(session_client.get(ed_url(f"?exclude_hidden={value}")))) == expected


@pytest.mark.parametrize(("value", "expected"), [("true", {"checked", "$pageview"}), ("false", {"plain"})])
def test_list_verified_splits_verified_and_core_events_from_the_rest(session_client, team, ed_url, value, expected):
    EventDefinitionFactory(team=team, name="checked", verified=True)
    EventDefinitionFactory(team=team, name="plain")
    EventDefinitionFactory(team=team, name="$pageview")

    assert set(names_of(session_client.get(ed_url(f"?verified={value}")))) == expected


def test_list_other_project_definition_is_absent(session_client, reference, other_team, ed_url):
    EventDefinitionFactory(team=other_team, name="secret_event")

    assert "secret_event" not in names_of(session_client.get(ed_url("?limit=1000")))


@pytest.mark.parametrize("page_size", [1, 10, 100])
def test_list_query_count_is_constant_in_page_size(session_client, team, user, ed_url, django_assert_max_num_queries, page_size):
    for index in range(100):
        definition = EventDefinitionFactory(team=team, owner=user, updated_by=user, verified_by=user, verified=True)
        if index % 3 == 0:
            tag(definition, "a", "b")

    with django_assert_max_num_queries(9):
        response = session_client.get(ed_url(f"?limit={page_size}"))

    assert len(response.json()["results"]) == page_size


def test_list_keeps_integers_beyond_64_bits_in_owner_hedgehog_config(session_client, team, user, ed_url):
    big = 123456789012345678901234567890
    user.hedgehog_config = {"big": big}
    user.save(update_fields=["hedgehog_config"])
    EventDefinitionFactory(team=team, name="owned", owner=user)
    assert session_client.get(ed_url()).json()["results"][0]["owner"]["hedgehog_config"] == {"big": big}
