"""`migrate` under a PostgreSQL advisory lock, so web nodes starting together migrate once: the
first one applies the migrations while the others wait, then find nothing left to do."""

from __future__ import annotations

from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections

# Any fixed 64-bit number shared by every node; this one spells "phcmigr".
MIGRATE_LOCK_KEY = 0x7068636D69677200


class Command(DjangoMigrateCommand):
    help = DjangoMigrateCommand.help + " Waits for any other node's migrate to finish first."

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        # A session-level lock: it survives the migrations' own transactions, and a node that dies
        # mid-migrate releases it with its connection.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        try:
            return super().handle(*args, **options)
        finally:
            if connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
