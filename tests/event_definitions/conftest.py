"""The reference fixture of PostHog §9: time frozen at 2020-01-02T00:00:00Z, six definitions in `team`."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.event_definitions.factories import EventDefinitionFactory

FROZEN_AT = datetime(2020, 1, 2, tzinfo=UTC)
REFERENCE_LAST_SEEN = {
    "installed_app": datetime(2020, 1, 1, tzinfo=UTC),
    "rated_app": datetime(2019, 12, 21, tzinfo=UTC),
    "purchase": datetime(2019, 12, 30, tzinfo=UTC),
    "entered_free_trial": datetime(2020, 1, 1, 23, tzinfo=UTC),
    "watched_movie": None,
    "$pageview": datetime(2020, 1, 1, 22, 56, tzinfo=UTC),
}


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def reference(frozen, team):
    """`{name: EventDefinition}` for the six reference definitions."""
    return {
        name: EventDefinitionFactory(team=team, name=name, last_seen_at=last_seen)
        for name, last_seen in REFERENCE_LAST_SEEN.items()
    }


@pytest.fixture
def ed_url(team):
    """`ed_url(suffix="", project=team)`: an event definitions URL of a project."""

    def make(suffix: str = "", project=None) -> str:
        return f"/api/projects/{(project or team).id}/event_definitions/{suffix}"

    return make
