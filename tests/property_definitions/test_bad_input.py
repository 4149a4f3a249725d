"""User input never causes a 500: malformed list parameters are a 400 naming the parameter."""

import random
import string

import pytest

from tests.property_definitions.factories import PropertyDefinitionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "attr"),
    [("event_names=[not json", "event_names"), ('event_names={"a":1}', "event_names"),
     ("event_names=[null]", "event_names"), ('event_names=[["a"]]', "event_names"), ("event_names=true", "event_names"),
     ('event_names=["a"]&type=person', "event_names"),
     ("excluded_properties=[not json", "excluded_properties"), ('excluded_properties="plan"', "excluded_properties"),
     ("excluded_properties=[{}]", "excluded_properties"),
     ("type=bogus", "type"), ("type=group", "group_type_index"), ("type=group&group_type_index=5", "group_type_index"),
     ("type=group&group_type_index=-1", "group_type_index"), ("type=group&group_type_index=x", "group_type_index"),
     ("group_type_index=0", "group_type_index"), ("type=event&group_type_index=0", "group_type_index"),
     ("is_numerical=maybe", "is_numerical"), ("is_feature_flag=2", "is_feature_flag"),
     ("filter_by_event_names=sure", "filter_by_event_names"), ("exclude_core_properties=x", "exclude_core_properties"),
     ("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset")],
)
def test_list_bad_parameter_returns_400_with_attr(session_client, pd_url, query, attr):
    response = session_client.get(pd_url(f"?{query}"))

    assert (response.status_code, response.json()["type"], response.json()["attr"]) == (400, "validation_error", attr)


@pytest.mark.parametrize(
    ("query", "attr"),
    [("search=pl%00an", "search"), ("properties=plan%00", "properties"), ('event_names=["a%00"]', "event_names"),
     ('event_names=["a\\u0000"]', "event_names"), ('excluded_properties=["\\u0000"]', "excluded_properties"),
     ("type=event%00", "type")],
)
def test_list_nul_character_returns_400_with_attr(session_client, pd_url, query, attr):
    response = session_client.get(pd_url(f"?{query}"))

    assert (response.status_code, response.json()["attr"]) == (400, attr)


def test_list_event_names_numbers_are_read_as_names(session_client, team, pd_url):
    PropertyDefinitionFactory(team=team, name="plan")

    assert session_client.get(pd_url("?event_names=[1,2.5]")).json()["results"][0]["is_seen_on_filtered_events"] is False


def test_list_ten_thousand_character_search_returns_200(session_client, team, pd_url):
    PropertyDefinitionFactory(team=team, name="plan")
    words = " ".join("".join(random.choices(string.ascii_lowercase, k=9)) for _ in range(1000))

    response = session_client.get(pd_url(), {"search": words[:10_000]})

    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.mark.parametrize("search", ["%", "_", "\\", "'", "%%"])
def test_list_search_with_sql_and_like_characters_returns_200(session_client, team, pd_url, search):
    PropertyDefinitionFactory(team=team, name="plan")

    assert session_client.get(pd_url(), {"search": search}).status_code == 200


def test_list_event_names_over_the_limit_returns_400(session_client, pd_url):
    response = session_client.get(pd_url(), {"event_names": str([f"e{index}" for index in range(1001)]).replace("'", '"')})

    assert (response.status_code, response.json()["attr"]) == (400, "event_names")
