"""List pagination for `/file_system/`: pages a FileSystemListQuery (the count rides along the page
statement), and PostHog's `users` lists the creators named in the page."""

from __future__ import annotations

from accounts.serializers import UserBasicSerializer
from file_system import selectors
from file_system.filters import FileSystemListQuery
from posthog_core.models import User
from posthog_core.pagination import MAX_BIGINT, LimitOffsetPagination


def _creator_ids(entries) -> set[int]:
    # NOTE: bool is an int in Python; PostHog keeps only real integer ids.
    return {
        creator for entry in entries
        if isinstance(entry.meta, dict)
        and isinstance(creator := entry.meta.get("created_by"), int) and not isinstance(creator, bool)
        and 0 < creator <= MAX_BIGINT
    }


class FileSystemPagination(LimitOffsetPagination):
    page_items: list = []
    organization_id = None

    def paginate_queryset(self, query: FileSystemListQuery, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.count, self.page_items = selectors.file_system_page(team=view.team, query=query, offset=self.offset, limit=self.limit)
        self.organization_id = view.team.organization_id
        return self.page_items

    def extra_response_data(self) -> dict:
        ids = _creator_ids(self.page_items)
        if not ids:
            return {"users": []}
        # The caller passed the project membership check, so when the page names only them (their
        # own files, the usual case) there is nothing to look up.
        caller = getattr(self.request, "user", None)
        if ids == {getattr(caller, "pk", None)} and isinstance(caller, User):
            return {"users": UserBasicSerializer([caller], many=True).data}
        users = User.objects.filter(pk__in=ids, organization_memberships__organization_id=self.organization_id).order_by("pk")
        return {"users": UserBasicSerializer(users, many=True).data}

    def extra_response_schema(self) -> dict:
        return {"users": {"type": "array", "items": {"$ref": "#/components/schemas/UserBasic"}}}
