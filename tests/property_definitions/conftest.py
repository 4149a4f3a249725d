"""A project with a small data dictionary: event properties seen on two events, and other kinds."""

from datetime import UTC, datetime

import pytest
import time_machine

from event_definitions.models import PropertyDefinition
from tests.property_definitions.factories import EventPropertyFactory, PropertyDefinitionFactory

FROZEN_AT = datetime(2020, 1, 2, tzinfo=UTC)
EVENT = PropertyDefinition.Type.EVENT
# name: (property_type, events it was seen on)
EVENT_PROPERTIES = {
    "$browser": ("String", ["$pageview"]),
    "$current_url": ("String", ["$pageview", "purchase"]),
    "$feature/beta": ("Boolean", ["$pageview"]),
    "amount": ("Numeric", ["purchase"]),
    "coupon": ("String", ["purchase"]),
    "plan": ("String", []),
    "utm_source": ("String", ["$pageview"]),
    "distinct_id": ("String", ["$pageview"]),
    "$set": (None, ["$pageview"]),
}


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dictionary(team):
    """`{name: PropertyDefinition}` of the event properties above, plus a person, group and session one."""
    rows = {}
    for name, (kind, events) in EVENT_PROPERTIES.items():
        rows[name] = PropertyDefinitionFactory(
            team=team, name=name, property_type=kind, is_numerical=kind == "Numeric"
        )
        for event in events:
            EventPropertyFactory(team=team, event=event, property=name)
    rows["email"] = PropertyDefinitionFactory(team=team, name="email", type=PropertyDefinition.Type.PERSON)
    rows["company_size"] = PropertyDefinitionFactory(
        team=team, name="company_size", type=PropertyDefinition.Type.GROUP, group_type_index=0
    )
    rows["$session_duration"] = PropertyDefinitionFactory(
        team=team, name="$session_duration", type=PropertyDefinition.Type.SESSION, property_type="Duration"
    )
    return rows


@pytest.fixture
def pd_url(team):
    """`pd_url(suffix="", project=team)`: a property definitions URL of a project."""

    def make(suffix: str = "", project=None) -> str:
        return f"/api/projects/{(project or team).id}/property_definitions/{suffix}"

    return make
