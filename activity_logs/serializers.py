from rest_framework import serializers

from accounts.serializers import UserBasicSerializer
from activity_logs.models import ActivityLog


class ActivityLogSerializer(serializers.ModelSerializer):
    user = UserBasicSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ActivityLog
        fields = ["id", "user", "activity", "scope", "item_id", "detail", "created_at", "is_system", "was_impersonated"]
        read_only_fields = fields
