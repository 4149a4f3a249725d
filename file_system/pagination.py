"""List pagination for `/file_system/`: the count rides along the page query as a scalar subquery
(one round trip instead of two), and PostHog's `users` lists the creators named in the page."""

from __future__ import annotations

from django.db.models import Count, Subquery

from accounts.serializers import UserBasicSerializer
from file_system.models import ENTRY_COLUMNS
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


# Annotations FileSystemSerializer reads when the list ordering added them.
ROW_ANNOTATIONS = ("last_viewed_at",)


class FileSystemPagination(LimitOffsetPagination):
    page_items: list = []
    organization_id = None

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        # One team per query, so grouping by team yields the single total row.
        total = queryset.order_by().values("team").annotate(fs_total=Count("*")).values("fs_total")
        # Named rows of just the columns the page shows: building 100 model instances (with the
        # columns nobody reads) cost more than the page query itself.
        columns = [*ENTRY_COLUMNS, *(name for name in ROW_ANNOTATIONS if name in queryset.query.annotations), "fs_total"]
        rows = queryset.annotate(fs_total=Subquery(total)).values_list(*columns, named=True)
        self.page_items = list(rows[self.offset:self.offset + self.limit])
        if self.page_items:
            self.count = self.page_items[0].fs_total
        else:
            self.count = 0 if self.offset == 0 else queryset.count()
        self.organization_id = view.team.organization_id if view is not None else None
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
