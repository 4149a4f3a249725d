"""The property list's order index, built without blocking capture's inserts."""

import django.db.models.functions.comparison
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("event_definitions", "0004_property_definition_enterprise"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='propertydefinition',
            index=models.Index(models.F('team'), models.F('type'), django.db.models.functions.comparison.Coalesce('group_type_index', -1), models.OrderBy(models.F('verified'), descending=True), django.db.models.functions.comparison.Collate('name', 'C'), name='property_definition_list_order'),
        ),
    ]
