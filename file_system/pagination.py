"""List pagination that adds PostHog's `users`: the creators named in the page's `meta.created_by`."""

from __future__ import annotations

from accounts.serializers import UserBasicSerializer
from posthog_core.models import User
from posthog_core.pagination import MAX_BIGINT, LimitOffsetPagination


class FileSystemPagination(LimitOffsetPagination):
    page_items: list = []
    organization_id = None

    def paginate_queryset(self, queryset, request, view=None):
        self.page_items = super().paginate_queryset(queryset, request, view)
        self.organization_id = view.team.organization_id if view is not None else None
        return self.page_items

    def extra_response_data(self) -> dict:
        # NOTE: bool is an int in Python; PostHog keeps only real integer ids.
        ids = {
            creator for entry in self.page_items
            if isinstance(entry.meta, dict)
            and isinstance(creator := entry.meta.get("created_by"), int) and not isinstance(creator, bool)
            and 0 < creator <= MAX_BIGINT
        }
        if not ids:
            return {"users": []}
        users = User.objects.filter(pk__in=ids, organization_memberships__organization_id=self.organization_id).order_by("pk")
        return {"users": UserBasicSerializer(users, many=True).data}

    def extra_response_schema(self) -> dict:
        return {"users": {"type": "array", "items": {"$ref": "#/components/schemas/UserBasic"}}}
