"""`migrate` under a PostgreSQL advisory lock, so web nodes starting together migrate once: the
first one applies the migrations while the others wait, then find nothing left to do."""

from __future__ import annotations

import time

from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections

# Any fixed 64-bit number shared by every node; this one spells "phcmigr".
MIGRATE_LOCK_KEY = 0x7068636D69677200
POLL_SECONDS = 0.5
WAITING_MESSAGE = "Another node is migrating; waiting for it to finish."


class Command(DjangoMigrateCommand):
    help = DjangoMigrateCommand.help + " Waits for any other node's migrate to finish first."

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        self.migrate_lock_acquire(connection)
        try:
            return super().handle(*args, **options)
        finally:
            if connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])

    def migrate_lock_acquire(self, connection) -> None:
        """Take the session-level lock (it survives the migrations' own transactions, and a node that
        dies mid-migrate releases it with its connection) by polling, not by a blocking
        `pg_advisory_lock`: a waiting statement holds a snapshot, and `CREATE INDEX CONCURRENTLY` in
        the holder's migrations waits for every older snapshot to end, so the two would deadlock
        (PostgreSQL then cancels one, leaving an invalid index behind)."""
        waiting = False
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
                if cursor.fetchone()[0]:
                    return
            if not waiting:
                self.stdout.write(WAITING_MESSAGE)
                waiting = True
            time.sleep(POLL_SECONDS)
