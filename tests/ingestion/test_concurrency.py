"""Concurrent capture against a live (threaded) server: overlapping new names from 16 clients."""

import http.client
import json
import random
import threading
from urllib.parse import urlsplit

import pytest

from event_definitions.models import EventDefinition, PropertyDefinition
from ingestion.models import Event
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 16
BATCHES_PER_CLIENT = 3
SHARED_NAMES = [f"shared {index}" for index in range(30)]


def client_batches(token, client_index):
    """Batches whose new event and property names overlap with every other client's, in shuffled order."""
    rng = random.Random(client_index)
    batches = []
    for batch_index in range(BATCHES_PER_CLIENT):
        names = rng.sample(SHARED_NAMES, 20) + [f"own {client_index}-{batch_index}"]
        events = [
            CaptureEventFactory(event=name, properties={f"prop {rng.randrange(30)}": rng.random(), "shared": 1})
            for name in names
        ]
        batches.append({"api_key": token, "batch": events})
    return batches


def run_client(base_url, batches, results):
    parts = urlsplit(base_url)
    for batch in batches:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        connection.request("POST", "/batch/", body=json.dumps(batch), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        results.append((response.status, response.read(), [event["uuid"] for event in batch["batch"]]))
        connection.close()


def test_concurrent_clients_with_overlapping_new_names_get_one_definition_each(live_server, team):
    results = []
    batches = [client_batches(team.api_token, index) for index in range(CLIENTS)]
    # Every client also re-sends its neighbour's first batch, as an SDK retry would: the same
    # uuids race each other, and each must still be stored exactly once.
    threads = [
        threading.Thread(
            target=run_client, args=(live_server.url, batches[index] + batches[(index + 1) % CLIENTS][:1], results)
        )
        for index in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _, _ in results] == [200] * CLIENTS * (BATCHES_PER_CLIENT + 1), results[:3]
    acknowledged = {uuid for _, _, uuids in results for uuid in uuids}
    stored = [str(uuid) for uuid in Event.objects.filter(team=team).values_list("uuid", flat=True)]
    assert len(stored) == len(set(stored))
    assert set(stored) == acknowledged
    names = list(EventDefinition.objects.filter(team=team).values_list("name", flat=True))
    assert len(names) == len(set(names))
    assert set(names) == {name for name in SHARED_NAMES} | {
        f"own {client}-{batch}" for client in range(CLIENTS) for batch in range(BATCHES_PER_CLIENT)
    }
    properties = list(PropertyDefinition.objects.filter(team=team).values_list("name", flat=True))
    assert len(properties) == len(set(properties))
