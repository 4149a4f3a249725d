"""Write the capture spool's batches to the database now (what the web workers' drainer does)."""

import time

from django.core.management.base import BaseCommand, CommandError

from ingestion.drain import spool_drain_once
from ingestion.spool import spool_depth


class Command(BaseCommand):
    help = "Drain the capture spool into the database; with --wait, until it is empty."

    def add_arguments(self, parser):
        parser.add_argument("--wait", action="store_true", help="retry until the spool is empty")

    def handle(self, *args, wait: bool = False, **options):
        while True:
            result = spool_drain_once()
            if result is None:
                message = "another process is draining this spool"
            else:
                message = f"{result.batches} batches written, {result.skipped} skipped"
                if not result.interrupted and spool_depth()[0] == 0:
                    self.stdout.write(message)
                    return
            if not wait:
                raise CommandError(f"{message}; spool not empty: {spool_depth()[0]} batches left")
            time.sleep(1)
