"""Render slots (exports/slots.py): a create that finds every slot held answers 429 in the error
shape and leaves no asset behind. The limit across processes is proven in tests/faults/."""

import pytest
from django.db import connections

from exports.models import ExportedAsset
from exports.slots import EXPORT_SLOT_LOCK_CLASS, ExportSlotUnavailable, export_slot
from tests.exports.factories import ExportInsightFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slots_held_elsewhere(settings):
    """Every slot taken by other database sessions, as other workers' renders would hold them."""
    settings.EXPORT_CONCURRENCY = 2
    settings.EXPORT_SLOT_WAIT_SECONDS = 0.2
    holders = [connections.create_connection("default") for _ in range(settings.EXPORT_CONCURRENCY)]
    for slot, holder in enumerate(holders):
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [EXPORT_SLOT_LOCK_CLASS, slot])
    yield
    for holder in holders:
        holder.close()


def test_create_answers_429_when_every_slot_stays_held(session_client, team, slots_held_elsewhere):
    insight = ExportInsightFactory(team=team)
    response = session_client.post(f"/api/projects/{team.id}/exports/", {"export_format": "text/csv",
                                                                        "insight": insight.id}, format="json")
    assert (response.status_code, response["Retry-After"]) == (429, "1")
    assert response.json() == {
        "type": "throttled_error",
        "code": "export_concurrency",
        "detail": "Too many exports are rendering right now; try again shortly. Expected available in 1 second.",
        "attr": None,
    }


def test_refused_create_leaves_no_asset(session_client, team, slots_held_elsewhere):
    insight = ExportInsightFactory(team=team)
    session_client.post(f"/api/projects/{team.id}/exports/", {"export_format": "text/csv", "insight": insight.id},
                        format="json")
    assert not ExportedAsset.all_objects.exists()


def test_slot_is_released_when_the_render_ends(settings):
    settings.EXPORT_CONCURRENCY = 1
    settings.EXPORT_SLOT_WAIT_SECONDS = 0
    with export_slot() as first:
        pass
    with export_slot() as second:
        assert first == second == 0


def test_process_past_its_share_of_creates_answers_429_at_once(settings):
    """Creates waiting for a slot must not take every thread of a worker: past its share, a
    process refuses even while database slots are free."""
    settings.EXPORT_CONCURRENCY = 2
    settings.EXPORT_THREADS_PER_PROCESS = 1
    settings.EXPORT_SLOT_WAIT_SECONDS = 5
    with export_slot():
        with pytest.raises(ExportSlotUnavailable):
            with export_slot():
                pass
