from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm powers substring search on names (event definitions, file system)."""

    dependencies = [("posthog_core", "0001_initial")]

    operations = [TrigramExtension()]
