"""Services: parent folders, set-based move (merge, cycles, atomicity), link, delete, ref hooks."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from file_system import services
from file_system.models import FileSystem
from file_system.paths import path_depth, path_join, path_name
from file_system.services import (
    file_system_count,
    file_system_create,
    file_system_delete,
    file_system_delete_ref,
    file_system_link,
    file_system_move,
    file_system_rename_ref,
)
from posthog_core.exceptions import PlainDetailError
from tests.file_system.factories import FileSystemFactory

pytestmark = pytest.mark.django_db


def tree(team):
    return sorted(FileSystem.objects.filter(team=team).values_list("path", "depth", "type"))


def test_create_with_nested_path_creates_missing_parent_folders(team, user):
    file_system_create(team=team, user=user, path="a/b/c", type="doc")
    assert tree(team) == [("a", 1, "folder"), ("a/b", 2, "folder"), ("a/b/c", 3, "doc")]


def test_create_parent_folders_join_escaped_segments(team, user):
    file_system_create(team=team, user=user, path="Flags \\/ toggles/x/file", type="doc")
    assert [p for p, _, t in tree(team) if t == "folder"] == ["Flags \\/ toggles", "Flags \\/ toggles/x"]


def test_create_existing_parent_is_not_duplicated(team, user):
    file_system_create(team=team, user=user, path="a/one", type="doc")
    file_system_create(team=team, user=user, path="a/two", type="doc")
    assert FileSystem.objects.filter(team=team, path="a").count() == 1


def test_create_second_folder_at_same_path_raises_validation_error(team, user):
    file_system_create(team=team, user=user, path="dup", type="folder")
    with pytest.raises(ValidationError):
        file_system_create(team=team, user=user, path="dup", type="folder")


def test_name_column_holds_unescaped_last_segment(team, user):
    entry = file_system_create(team=team, user=user, path="Banana/go\\/revenue", type="doc")
    entry.refresh_from_db()
    assert entry.name == "go/revenue"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.sampled_from("ab/\\"), min_size=1, max_size=5), min_size=1, max_size=6))
def test_name_column_matches_path_name_with_and_without_escapes(team, parts):
    path = path_join(parts)
    entry = FileSystemFactory(team=team, path=path)
    entry.refresh_from_db()
    assert entry.name == path_name(path) == parts[-1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_under_same_new_folder_leave_one_folder(team, user):
    barrier = threading.Barrier(2)
    errors = []

    def create(name):
        try:
            barrier.wait(timeout=10)
            file_system_create(team=team, user=user, path=f"Shared/{name}", type="doc")
        except Exception as error:  # pragma: no cover - reported through the assert below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert FileSystem.objects.filter(team=team, path="Shared", type="folder").count() == 1
    assert FileSystem.objects.filter(team=team, path__startswith="Shared/").count() == 2


def test_move_folder_rewrites_descendants_in_one_update(team, user):
    folder = file_system_create(team=team, user=user, path="Old", type="folder")
    file_system_create(team=team, user=user, path="Old/sub/file", type="doc")
    with connection.execute_wrapper(recorder := QueryRecorder()):
        file_system_move(entry=folder, new_path="New/Place", user=user)
    assert tree(team) == [
        ("New", 1, "folder"), ("New/Place", 2, "folder"), ("New/Place/sub", 3, "folder"),
        ("New/Place/sub/file", 4, "doc"),
    ]
    assert len([sql for sql in recorder.queries if sql.startswith("UPDATE") and "LIKE" in sql]) == 1


class QueryRecorder:
    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        self.queries.append(sql.strip())
        return execute(sql, params, many, context)


def test_move_to_a_new_place_runs_no_merge_delete(team, user):
    folder = file_system_create(team=team, user=user, path="Old", type="folder")
    file_system_create(team=team, user=user, path="Old/sub/file", type="doc")
    file_system_create(team=team, user=user, path="Elsewhere/other/file", type="doc")
    with connection.execute_wrapper(recorder := QueryRecorder()):
        file_system_move(entry=folder, new_path="Elsewhere/Old", user=user)
    assert [sql for sql in recorder.queries if sql.startswith("DELETE")] == []


def test_move_folder_into_existing_folder_merges(team, user):
    folder = file_system_create(team=team, user=user, path="A", type="folder")
    file_system_create(team=team, user=user, path="A/sub/x", type="doc")
    file_system_create(team=team, user=user, path="B/sub/y", type="doc")
    result = file_system_move(entry=folder, new_path="B", user=user)
    assert result.path == "B"
    assert tree(team) == [("B", 1, "folder"), ("B/sub", 2, "folder"), ("B/sub/x", 3, "doc"), ("B/sub/y", 3, "doc")]


def test_move_folder_up_into_its_ancestor_merges_nested_namesakes(team, user):
    folder = file_system_create(team=team, user=user, path="B/A", type="folder")
    file_system_create(team=team, user=user, path="B/A/A/c/f1", type="doc")
    file_system_create(team=team, user=user, path="B/A/c/f2", type="doc")
    file_system_move(entry=folder, new_path="B", user=user)
    assert tree(team) == [
        ("B", 1, "folder"), ("B/A", 2, "folder"), ("B/A/c", 3, "folder"), ("B/A/c/f1", 4, "doc"),
        ("B/c", 2, "folder"), ("B/c/f2", 3, "doc"),
    ]


@pytest.mark.parametrize("new_path", ["Folder", "Folder/child", "/Folder//child/"])
def test_move_folder_into_itself_raises_400(team, user, new_path):
    folder = file_system_create(team=team, user=user, path="Folder", type="folder")
    with pytest.raises(PlainDetailError, match="Cannot move folder into itself"):
        file_system_move(entry=folder, new_path=new_path, user=user)


def test_move_failing_halfway_leaves_tree_unchanged(team, user):
    folder = file_system_create(team=team, user=user, path="Old", type="folder")
    file_system_create(team=team, user=user, path="Old/a/b", type="doc")
    before = tree(team)
    real = services._rewrite_prefix

    def rewrite_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("disk full")

    with mock.patch.object(services, "_rewrite_prefix", side_effect=rewrite_then_fail), pytest.raises(RuntimeError):
        file_system_move(entry=folder, new_path="Elsewhere/New", user=user)
    assert tree(team) == before


def test_move_file_updates_path_depth_and_parents(team, user):
    entry = file_system_create(team=team, user=user, path="file", type="doc")
    file_system_move(entry=entry, new_path="x/y/file", user=user)
    assert tree(team) == [("x", 1, "folder"), ("x/y", 2, "folder"), ("x/y/file", 3, "doc")]


def test_move_depth_counts_escaped_slashes_as_one_segment(team, user):
    folder = file_system_create(team=team, user=user, path="F", type="folder")
    file_system_create(team=team, user=user, path="F/a\\/b/c", type="doc")
    file_system_move(entry=folder, new_path="G\\/H", user=user)
    assert ("G\\/H/a\\/b/c", 3, "doc") in tree(team)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.sampled_from("ab/\\"), min_size=1, max_size=5), min_size=1, max_size=6))
def test_sql_depth_matches_path_depth(parts):
    path = path_join(parts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + services._SQL_DEPTH.format(path="%(p)s"), {"p": path})
        assert cursor.fetchone()[0] == path_depth(path) == len(parts)


def test_link_folder_copies_subtree_as_shortcuts(team, user):
    folder = file_system_create(team=team, user=user, path="F", type="folder")
    file_system_create(team=team, user=user, path="F/child", type="doc", ref="7")
    linked = file_system_link(entry=folder, new_path="L", user=user)
    assert (linked.path, linked.depth, linked.shortcut) == ("L", 1, True)
    child = FileSystem.objects.get(team=team, path="L/child")
    assert (child.depth, child.shortcut, child.ref) == (2, True, "7")


def test_delete_folder_removes_descendants_only(team, user):
    folder = file_system_create(team=team, user=user, path="D", type="folder")
    file_system_create(team=team, user=user, path="D/x/y", type="doc")
    file_system_create(team=team, user=user, path="Dx", type="doc")
    file_system_delete(entry=folder)
    assert tree(team) == [("Dx", 1, "doc")]


def test_count_reports_entries_and_has_more(team, user):
    file_system_create(team=team, user=user, path="C/a", type="doc")
    file_system_create(team=team, user=user, path="C/b/c", type="doc")
    result = file_system_count(team=team, path="C")
    assert (result.count, [e.path for e in result.entries], result.has_more) == (3, ["C/a", "C/b", "C/b/c"], False)


def test_rename_ref_replaces_last_segment_of_each_entry(team, user):
    FileSystemFactory(team=team, path="Insights/Old name", type="insight", ref="abc")
    FileSystemFactory(team=team, path="Mine/Old name", type="insight", ref="abc", shortcut=True)
    assert file_system_rename_ref(team=team, type="insight", ref="abc", new_name="New/name") == 2
    assert sorted(FileSystem.objects.values_list("path", flat=True)) == ["Insights/New\\/name", "Mine/New\\/name"]


def test_delete_ref_deletes_only_that_object_entries(team, other_team):
    FileSystemFactory(team=team, type="insight", ref="abc")
    kept = FileSystemFactory(team=other_team, type="insight", ref="abc")
    assert file_system_delete_ref(team=team, type="insight", ref="abc") == 1
    assert list(FileSystem.objects.all()) == [kept]
