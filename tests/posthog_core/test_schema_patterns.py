"""Every value a "JSON-encoded array of names" parameter's pattern admits is accepted
(posthog_core.schema.json_names_pattern), by each list that documents one."""

from __future__ import annotations

import json

from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from event_definitions.filters import EventDefinitionListQuery
from posthog_core.schema import json_names_pattern
from property_definitions.filters import MAX_JSON_NAMES, PropertyDefinitionListQuerySerializer

NAMES = st.from_regex(json_names_pattern(), fullmatch=True)


def query(**params) -> QueryDict:
    result = QueryDict(mutable=True)
    result.update(params)
    return result


@given(value=NAMES)
def test_event_definition_excluded_properties_takes_every_value_of_the_pattern(value):
    parsed = EventDefinitionListQuery.parse(query(excluded_properties=value))

    assert set(json.loads(value)) <= {name for bound in parsed.params.values() if isinstance(bound, list) for name in bound}


@given(value=st.from_regex(json_names_pattern(MAX_JSON_NAMES), fullmatch=True))
def test_property_definition_name_lists_take_every_value_of_the_pattern(value):
    serializer = PropertyDefinitionListQuerySerializer(data={"event_names": value, "excluded_properties": value})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["excluded_properties"] == list(dict.fromkeys(json.loads(value)))


def test_pattern_refuses_what_the_lists_refuse():
    import re

    pattern = re.compile(json_names_pattern())

    assert [bool(pattern.match(v)) for v in ['["a","b"]', "[]", '["\\u0000"]', '{"a":1}', "plan"]] == [
        True, True, False, False, False]
