"""Single-node seams of the scale-out work: the node's name on every response, migrate under an
advisory lock, and replica routing staying on the primary when no replica is configured (the real
replica is exercised by tests_cluster/)."""

import io
import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections

from posthog_core import db_routing
from posthog_core.management.commands.migrate import MIGRATE_LOCK_KEY, WAITING_MESSAGE

pytestmark = pytest.mark.django_db


def test_every_response_names_the_serving_node(api_client, settings):
    assert api_client.get("/_health")["X-Served-By"] == settings.NODE_NAME
    assert api_client.get("/api/users/@me/")["X-Served-By"] == settings.NODE_NAME  # a 401 too


def test_cluster_health_without_peers_reports_this_node_and_the_store(api_client, settings, tmp_path):
    settings.CLUSTER_NODES = {}
    settings.CAPTURE_SPOOL_DIR = tmp_path

    response = api_client.get("/_health/cluster")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "served_by": settings.NODE_NAME,
        "nodes": {settings.NODE_NAME: {"status": "ok", "spool": {"batches": 0, "bytes": 0}}},
        "replica": None,
        "replica_lag_seconds": None,
        "storage": {"status": "ok", "backend": "FileSystemStorage"},
    }


def test_cluster_health_answers_503_naming_an_unreachable_peer(api_client, settings):
    settings.CLUSTER_NODES = {"gone": "http://127.0.0.1:9"}  # the discard port: nothing listens

    response = api_client.get("/_health/cluster")

    assert response.status_code == 503
    assert response.json()["nodes"]["gone"]["status"] == "error"


def test_heavy_reads_use_the_primary_when_no_replica_is_configured():
    assert db_routing.run_with_replica_fallback(db_routing.read_alias) == DEFAULT_DB_ALIAS


def test_migrate_waits_for_another_nodes_migrate():
    params = connection.get_connection_params()
    output = io.StringIO()
    with psycopg.connect(**params, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        done = threading.Event()

        def migrate():
            try:
                call_command("migrate", verbosity=0, stdout=output)
            finally:
                connections.close_all()
                done.set()

        thread = threading.Thread(target=migrate)
        thread.start()
        while WAITING_MESSAGE not in output.getvalue():
            assert not done.is_set(), "migrate finished while another node held the lock"
            time.sleep(0.01)
        assert not done.is_set()
        holder.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
        thread.join()
    assert done.is_set()
