from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate


def events_partitions_after_migrate(sender, using="default", **kwargs):
    """`migrate` leaves the partitions of the window in place (a fresh database, or one migrated after
    months down), so the service never starts without this month's partition."""
    from django.db import connections

    from ingestion.maintenance import events_maintenance_run
    from ingestion.partitions import events_table_is_partitioned

    with connections[using].cursor() as cursor:
        if not events_table_is_partitioned(cursor=cursor):
            return  # migrated back to before partitioning
    events_maintenance_run(retention_days=settings.EVENTS_RETENTION_DAYS, wait=True, drop=False)


class IngestionConfig(AppConfig):
    name = "ingestion"

    def ready(self):
        post_migrate.connect(events_partitions_after_migrate, sender=self)
