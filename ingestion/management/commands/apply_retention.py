"""`manage.py apply_retention [--days N]`: make the events partitions of the window and drop those past
EVENTS_RETENTION_DAYS now, as the service's maintenance does on its schedule."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingestion.maintenance import events_maintenance_run


class Command(BaseCommand):
    help = "Drop the events partitions older than EVENTS_RETENTION_DAYS (or --days) and create those ahead."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Retention in days (default: EVENTS_RETENTION_DAYS).")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        if days is None and settings.EVENTS_RETENTION_DAYS is None:
            self.stderr.write("EVENTS_RETENTION_DAYS is unset: events are kept forever; only partitions ahead are made.")
        # Waits for a maintenance round running elsewhere instead of skipping: the operator asked now.
        result = events_maintenance_run(retention_days=settings.EVENTS_RETENTION_DAYS if days is None else days,
                                        wait=True)
        self.stdout.write(json.dumps(result))
