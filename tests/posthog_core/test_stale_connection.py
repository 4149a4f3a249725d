"""A kept connection the server ended between requests (as a database restart does) is replaced
before the next request uses it (posthog_core/db/base.py); the full restart is in tests/faults/."""

import pytest
from django.db import close_old_connections, connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            while True:
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    return
    finally:
        killer.close()


def test_connection_ended_by_the_server_is_replaced_before_the_next_request(client):
    old_pid = backend_pid()
    terminate(old_pid)
    close_old_connections()  # what the request_started signal does in a server (the test client skips it)

    response = client.get("/_health")

    assert (response.status_code, backend_pid() != old_pid) == (200, True)


def test_live_kept_connection_is_reused(client):
    old_pid = backend_pid()
    close_old_connections()

    client.get("/_health")

    assert backend_pid() == old_pid
