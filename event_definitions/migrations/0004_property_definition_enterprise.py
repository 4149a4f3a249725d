"""Property definitions get PostHog's enterprise fields and tags; capture's event → property pairs."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('event_definitions', '0003_list_order_indexes'),
        ('posthog_core', '0002_extensions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EventProperty',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('event', models.CharField(max_length=400)),
                ('property', models.CharField(max_length=400)),
            ],
        ),
        migrations.AddField(
            model_name='propertydefinition',
            name='description',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.AddField(
            model_name='propertydefinition',
            name='hidden',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='propertydefinition',
            name='updated_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name='propertydefinition',
            name='updated_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='propertydefinition',
            name='verified',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='propertydefinition',
            name='verified_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name='propertydefinition',
            name='verified_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='taggeditem',
            name='property_definition',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='tagged_items', to='event_definitions.propertydefinition'),
        ),
        migrations.AddConstraint(
            model_name='taggeditem',
            constraint=models.UniqueConstraint(fields=('tag', 'property_definition'), name='unique_tagged_property_definition'),
        ),
        migrations.AddConstraint(
            model_name='taggeditem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('event_definition__isnull', False), ('property_definition__isnull', True)), models.Q(('event_definition__isnull', True), ('property_definition__isnull', False)), _connector='OR'), name='tagged_item_exactly_one_object'),
        ),
        migrations.AddField(
            model_name='eventproperty',
            name='team',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='posthog_core.project'),
        ),
        migrations.AddConstraint(
            model_name='eventproperty',
            constraint=models.UniqueConstraint(fields=('team', 'event', 'property'), name='unique_event_property'),
        ),
    ]
