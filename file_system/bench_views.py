"""Baselines for bench/bench_file_system.py, routed only when POSTHOG_CORE_BENCH=1: each read as one
hand-written SQL query in a bare Django view (no DRF, no auth, no ORM), so the benchmark compares
the API with the same read over the same HTTP server."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import Http404, JsonResponse

_COLUMNS = "id, path, depth, type, ref, href, meta, shortcut, created_at"
_LIKE_ESCAPES = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})
_BELOW = """team_id = %(team)s AND path COLLATE "C" LIKE %(prefix)s"""

BASELINE_SQL = {
    # The total as a window over the matches: one pass serves count and sort.
    "parent": f"""SELECT {_COLUMNS}, count(*) OVER () AS total
        FROM file_system_filesystem WHERE {_BELOW} AND depth = %(depth)s
        ORDER BY (type = 'folder') DESC, lower(path), id LIMIT 100""",
    # Names live in their own table with the trigram index (FileSystemName).
    "search_name": f"""SELECT {", ".join(f"f.{column}" for column in _COLUMNS.split(", "))}, count(*) OVER () AS total
        FROM file_system_filesystemname n JOIN file_system_filesystem f ON f.id = n.entry_id
        WHERE n.team_id = %(team)s AND upper(n.name) LIKE %(term)s
        ORDER BY lower(f.path), f.id LIMIT 100""",
    "count": f"""SELECT {_COLUMNS}, (SELECT count(*) FROM file_system_filesystem WHERE {_BELOW}) AS total
        FROM file_system_filesystem WHERE {_BELOW} ORDER BY depth, path COLLATE "C" LIMIT 200""",
}


def bench_file_system_sql(request, project_id: str, read: str) -> JsonResponse:
    if read not in BASELINE_SQL or not project_id.isdigit():
        raise Http404
    params = {
        "team": int(project_id),
        "prefix": request.GET.get("parent", "").translate(_LIKE_ESCAPES) + "/%",
        "depth": int(request.GET.get("depth") or 0),
        "term": "%" + request.GET.get("term", "").upper().translate(_LIKE_ESCAPES) + "%",
    }
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL[read], params)
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return JsonResponse({"count": rows[0]["total"] if rows else 0, "results": rows}, encoder=DjangoJSONEncoder)
