import django_filters

from activity_logs.models import ActivityLog


class ActivityLogFilterSet(django_filters.FilterSet):
    scope = django_filters.CharFilter(help_text="Only activity of this scope, e.g. `EventDefinition`.")
    item_id = django_filters.CharFilter(help_text="Only activity of this item (with `scope`).")
    activity = django_filters.CharFilter(help_text="Only this activity, e.g. `changed`.")

    class Meta:
        model = ActivityLog
        fields = ["scope", "item_id", "activity"]
