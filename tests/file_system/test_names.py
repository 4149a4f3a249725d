"""FileSystemName: the database's triggers keep every entry's name mirrored, whatever writes the tree."""

import pytest
from django.db import connection

from file_system.models import FileSystem, FileSystemName
from file_system.services import (
    file_system_create,
    file_system_delete,
    file_system_link,
    file_system_move,
    file_system_rename_ref,
)
from tests.file_system.factories import FileSystemFactory

pytestmark = pytest.mark.django_db


def entry_names(team) -> set[tuple]:
    return set(FileSystem.objects.filter(team=team).values_list("id", "team_id", "name"))


def mirrored_names(team) -> set[tuple]:
    return set(FileSystemName.objects.filter(team_id=team.pk).values_list("entry_id", "team_id", "name"))


def test_create_mirrors_each_new_entry_with_its_unescaped_name(team, user):
    file_system_create(team=team, user=user, path="Banana/go\\/revenue", type="doc")
    assert {name for _, _, name in mirrored_names(team)} == {"Banana", "go/revenue"}
    assert mirrored_names(team) == entry_names(team)


def test_move_renames_only_the_moved_folder_and_keeps_the_rest(team, user):
    folder = file_system_create(team=team, user=user, path="Old", type="folder")
    file_system_create(team=team, user=user, path="Old/sub/file", type="doc")
    file_system_move(entry=folder, new_path="New/Place", user=user)
    assert {name for _, _, name in mirrored_names(team)} == {"New", "Place", "sub", "file"}
    assert mirrored_names(team) == entry_names(team)


def test_move_merging_into_an_existing_folder_drops_the_merged_names(team, user):
    folder = file_system_create(team=team, user=user, path="A/Shared", type="folder")
    file_system_create(team=team, user=user, path="A/Shared/one", type="doc")
    file_system_create(team=team, user=user, path="B/Shared/two", type="doc")
    file_system_move(entry=folder, new_path="B/Shared", user=user)
    assert mirrored_names(team) == entry_names(team)


def test_rename_ref_mirrors_the_new_name(team, user):
    file_system_create(team=team, user=user, path="Insights/Old name", type="insight", ref="abc")
    file_system_rename_ref(team=team, type="insight", ref="abc", new_name="New name")
    assert "New name" in {name for _, _, name in mirrored_names(team)}
    assert mirrored_names(team) == entry_names(team)


def test_link_mirrors_the_shortcut_copies(team, user):
    folder = file_system_create(team=team, user=user, path="Src", type="folder")
    file_system_create(team=team, user=user, path="Src/a", type="doc")
    file_system_link(entry=folder, new_path="Dst/Copy", user=user)
    assert mirrored_names(team) == entry_names(team)


def test_delete_folder_removes_the_mirrored_names_of_its_subtree(team, user):
    folder = file_system_create(team=team, user=user, path="Gone", type="folder")
    file_system_create(team=team, user=user, path="Gone/x/y", type="doc")
    file_system_create(team=team, user=user, path="Kept", type="doc")
    file_system_delete(entry=folder)
    assert {name for _, _, name in mirrored_names(team)} == {"Kept"}


def test_raw_sql_writes_are_mirrored_too(team):
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {FileSystem._meta.db_table} (id, team_id, path, depth, type, shortcut, meta, created_at)
                SELECT gen_random_uuid(), %s, 'Raw/item ' || i, 2, 'doc', false, '{{}}', now()
                FROM generate_series(1, 3) AS i""",
            [team.pk],
        )
        cursor.execute(f"UPDATE {FileSystem._meta.db_table} SET path = 'Raw/renamed' WHERE path = 'Raw/item 1'")
    assert {name for _, _, name in mirrored_names(team)} == {"renamed", "item 2", "item 3"}
    assert mirrored_names(team) == entry_names(team)


def test_moving_an_entry_to_another_project_moves_its_mirror(team, other_team):
    entry = FileSystemFactory(team=team, path="Travelling")
    FileSystem.objects.filter(pk=entry.pk).update(team=other_team)
    assert (mirrored_names(team), mirrored_names(other_team)) == (set(), {(entry.pk, other_team.pk, "Travelling")})
