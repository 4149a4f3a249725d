"""Search grammar (cases 70–73) through FileSystemListQuery, and the EXPLAIN of indexed reads."""

import pytest
from django.db import connection
from django.http import QueryDict

from file_system.filters import FileSystemListQuery
from file_system.models import FileSystem, FileSystemName, path_c
from file_system.selectors import file_system_page, file_system_page_sql
from file_system.services import descendants_of, entries_at
from tests.factories import UserFactory
from tests.file_system.factories import FileSystemFactory

pytestmark = pytest.mark.django_db


def list_query(user, **params) -> FileSystemListQuery:
    query = QueryDict(mutable=True)
    query.update(params)
    return FileSystemListQuery.parse(query, user=user)


def search(user, text, **extra):
    _, page = file_system_page(team=user.current_project, query=list_query(user, search=text, **extra), offset=0, limit=100)
    return [entry.path for entry in page]


@pytest.fixture
def make(team):
    def make(path, **kwargs):
        return FileSystemFactory(team=team, path=path, **kwargs)

    return make


# Case 70
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Analytics", ["Analytics/Report 1", "Analytics/Report 2"]),
        ("Random", ["Random/Other File"]),
        ("flag scene tabs", ["unfiled/scene-tabs"]),
        ("what's home", ["What's my homepage"]),
        ('"Report 1"', ["Analytics/Report 1"]),
        ("report -1", ["Analytics/Report 2"]),
        ("report !2", ["Analytics/Report 1"]),
    ],
)
def test_search_plain_tokens(user, make, text, expected):
    for path in ["Analytics/Report 1", "Analytics/Report 2", "Random/Other File", "What's my homepage"]:
        make(path)
    make("unfiled/scene-tabs", type="feature_flag")
    make("unfiled/other", type="feature_flag")
    assert search(user, text) == expected


# Case 71
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("path:Reports", ["Analytics/Reports/Q1.txt", "Current/Reports/Now.txt", "Old/Reports/Then.txt"]),
        ("name:Overview", ["Marketing/Plan/Q1 Overview.pdf"]),
        ("path:Reports -path:Old", ["Analytics/Reports/Q1.txt", "Current/Reports/Now.txt"]),
        ("name:Reports", []),
    ],
)
def test_search_path_and_name_fields(user, make, text, expected):
    for path in ["Analytics/Reports/Q1.txt", "Analytics/Other/Q2.txt", "Marketing/Plan/Q1 Overview.pdf",
                 "Overview/Plan.pdf", "Current/Reports/Now.txt", "Old/Reports/Then.txt"]:
        make(path)
    assert search(user, text) == expected


def test_search_user_field_matches_name_email_and_me(user, make):
    paul = UserFactory(first_name="Paul", last_name="Duncan", email="pd@example.com")
    make("Pauls file", created_by=paul)
    make("My file", created_by=user)
    assert search(user, 'user:"Paul Duncan"') == ["Pauls file"]
    assert search(user, "author:pd@example") == ["Pauls file"]
    assert search(user, "user:me") == ["My file"]
    assert search(user, "-user:me") == ["Pauls file"]


# Case 72
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("type:doc/", ["Doc1", "Doc2"]),
        ("type:source", ["Src"]),
        ("type:hog_function/", ["Dest", "Src"]),
        ("type:misc", ["Misc"]),
        ("ref:42", ["Doc1"]),
        ("-type:doc/ -type:hog_function/", ["Img1", "Misc"]),
        ("unknown:doc", []),
    ],
)
def test_search_type_and_ref_fields(user, make, text, expected):
    make("Doc1", type="doc/file", ref="42")
    make("Doc2", type="doc/image")
    make("Img1", type="image")
    make("Src", type="hog_function/source")
    make("Dest", type="hog_function/destination")
    make("Misc", type="misc")
    assert search(user, text) == expected


# Case 73
@pytest.mark.parametrize("text", ["go/revenue", "banana/go", "banana/go/revenue", "name:go/revenue"])
def test_search_slash_matches_escaped_slash(user, make, text):
    make("Banana/go\\/revenue")
    make("Banana/revenue")
    assert search(user, text) == ["Banana/go\\/revenue"]


def test_search_name_only_matches_last_segment(user, make):
    make("Analytics/Report")
    make("Reports/Other")
    assert search(user, "report", search_name_only="true") == ["Analytics/Report"]


@pytest.fixture
def seeded(team):
    """20,000 rows in 50 folders, analysed, so the planner chooses as it would on a real tree."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {FileSystem._meta.db_table} (id, team_id, path, depth, type, shortcut, meta, created_at)
                SELECT gen_random_uuid(), %s, 'Folder' || (i %% 50) || '/sub ' || (i %% 7) || '/item ' || i, 3, 'doc',
                       false, '{{}}', now()
                FROM generate_series(1, 20000) AS i""",
            [team.pk],
        )
        # As (auto)vacuum would: merge the trigram index's pending list, then gather statistics.
        cursor.execute("SELECT gin_clean_pending_list('file_system_name_trgm'::regclass)")
        # Both tables: the names table is filled by triggers, and with only autovacuum's last view of
        # it (often empty) the planner may skip the trigram index.
        cursor.execute(f"ANALYZE {FileSystem._meta.db_table}, {FileSystemName._meta.db_table}")
    return team


def explain(queryset=None, *, sql=None, params=None) -> str:
    if queryset is not None:
        sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_count_below_folder_uses_path_index(seeded):
    plan = explain(descendants_of(team=seeded, path="Folder7").values("pk"))
    # Either C-collated path index serves the range; which one the planner picks varies with statistics.
    assert "_path_c" in plan and "Index Cond" in plan and ">= 'Folder7/'" in plan
    assert "Seq Scan" not in plan


def explain_page(user, team, **params) -> str:
    sql, values = file_system_page_sql(team=team, query=list_query(user, **params), offset=0, limit=100)
    return explain(sql=sql, params=values)


def test_parent_listing_with_depth_uses_a_path_range_index(user, seeded):
    plan = explain_page(user, seeded, parent="Folder7", depth="3")
    assert "Index Cond" in plan and ">= 'Folder7/'" in plan
    assert "Seq Scan" not in plan


def test_exact_path_filter_uses_path_index(user, seeded):
    plan = explain_page(user, seeded, path="Folder7/sub 0/item 357")
    assert "Index Cond" in plan and "= 'Folder7/sub 0/item 357'" in plan
    assert "Seq Scan" not in plan


def test_parent_folder_lookup_uses_path_index(seeded):
    plan = explain(entries_at(team=seeded, paths=["Folder7", "Folder7/sub 0"]).values("path"))
    assert "Index Cond" in plan and "Folder7/sub 0" in plan
    assert "Seq Scan" not in plan


def test_count_entries_come_in_index_order_without_sort(seeded):
    plan = explain(descendants_of(team=seeded, path="Folder7").order_by("depth", path_c())[:200])
    assert "file_system_team_depth_path_c" in plan
    assert "Sort" not in plan


def test_name_search_uses_trigram_index(user, seeded):
    assert "file_system_name_trgm" in explain_page(user, seeded, search='name:"item 1234"')
