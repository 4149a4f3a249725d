"""File-system list reads: the page of a FileSystemListQuery with its total, in one statement."""

from __future__ import annotations

import json
from collections import namedtuple

from file_system.filters import FileSystemListQuery
from file_system.models import ENTRY_COLUMNS, FileSystem, FileSystemViewLog
from posthog_core.db_routing import read_connection
from posthog_core.models import Project

ENTRIES = FileSystem._meta.db_table
VIEWS = FileSystemViewLog._meta.db_table
# A page row: the entry's API fields under the model's attribute names, so the serializer shapes
# it exactly like a fetched model instance.
FileSystemRow = namedtuple("FileSystemRow", [*ENTRY_COLUMNS, "last_viewed_at"])
META_AT = ENTRY_COLUMNS.index("meta")

COUNT_SQL = f"SELECT count(*) FROM {ENTRIES} f WHERE f.team_id = %(team)s AND {{where}}"
# The viewer's last view of each entry's object, for `order_by=last_viewed_at` (NULL otherwise).
LAST_VIEWED_SQL = f"""(SELECT v.viewed_at FROM {VIEWS} v WHERE v.team_id = f.team_id
    AND v.user_id = %(viewer)s AND v.type = f.type AND v.ref = f.ref LIMIT 1)"""
# The total is a window over the matches: one pass over them serves the count and the sort, where a
# count subquery beside the page evaluated the filter twice (twice the index probes into
# FileSystemName for a `name:` search, a second range scan for a folder listing).
PAGE_SQL = f"""SELECT count(*) OVER () AS total, {", ".join(f"f.{column}" for column in ENTRY_COLUMNS)},
    {{last_viewed}} AS last_viewed_at
FROM {ENTRIES} f WHERE f.team_id = %(team)s AND {{where}}
ORDER BY {{order_by}} LIMIT %(limit)s OFFSET %(offset)s"""


def file_system_page_sql(*, team: Project, query: FileSystemListQuery, offset: int, limit: int) -> tuple[str, dict]:
    """The page statement and its parameters. Tenancy: every row read is `team`'s."""
    last_viewed = LAST_VIEWED_SQL if query.viewer is not None else "NULL::timestamptz"
    sql = PAGE_SQL.format(where=query.where, order_by=query.order_by, last_viewed=last_viewed)
    return sql, {**query.params, "team": team.id, "viewer": query.viewer, "limit": limit, "offset": offset}


def file_system_page(*, team: Project, query: FileSystemListQuery, offset: int, limit: int) -> tuple[int, list[FileSystemRow]]:
    """`(matching entries, the rows offset..offset+limit)` in one round trip (two when a page past
    the end is empty: no row carries the count then)."""
    sql, params = file_system_page_sql(team=team, query=query, offset=offset, limit=limit)
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not rows:
            if offset == 0:
                return 0, []
            cursor.execute(COUNT_SQL.format(where=query.where), params)
            return cursor.fetchone()[0], []
    page = []
    for row in rows:
        values = list(row[1:])
        # Django's connection hands jsonb over as text, which JSONField parses with `json`: so does a
        # raw row (orjson would turn integers past 64 bits into floats and refuse 1e400).
        if values[META_AT] is not None:
            values[META_AT] = json.loads(values[META_AT])
        page.append(FileSystemRow._make(values))
    return rows[0][0], page
