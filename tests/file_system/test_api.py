"""`/file_system/` endpoints: reference cases 65–80 and the four resource checks."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from file_system.models import FileSystem
from tests.factories import MembershipFactory, UserFactory
from tests.file_system.factories import FileSystemFactory

pytestmark = pytest.mark.django_db


def url(team, suffix=""):
    return f"/api/projects/{team.pk}/file_system/{suffix}"


def paths(response):
    return [item["path"] for item in response.json()["results"]]


def test_list_anonymous_returns_401(api_client, team):
    response = api_client.get(url(team))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_with_wrong_scope_returns_403(scoped_client, team):
    response = scoped_client(scopes=["insight:read"]).get(url(team))
    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'file_system:read'"


def test_create_with_read_scope_returns_403(scoped_client, team):
    response = scoped_client(scopes=["file_system:read"]).post(url(team), {"path": "x"}, format="json")
    assert response.status_code == 403


def test_count_with_read_scope_is_allowed(scoped_client, team):
    folder = FileSystemFactory(team=team, path="F", type="folder")
    response = scoped_client(scopes=["file_system:read"]).post(url(team, f"{folder.pk}/count/"))
    assert response.status_code == 200


def test_other_project_entry_returns_404_and_is_not_listed(session_client, team, other_team):
    foreign = FileSystemFactory(team=other_team, path="Secret")
    assert session_client.get(url(team, f"{foreign.pk}/")).status_code == 404
    assert session_client.patch(url(team, f"{foreign.pk}/"), {"path": "x"}, format="json").status_code == 404
    assert session_client.post(url(team, f"{foreign.pk}/move/"), {"new_path": "x"}, format="json").status_code == 404
    assert paths(session_client.get(url(team))) == []


def test_list_of_non_member_project_returns_403(session_client, other_team):
    assert session_client.get(url(other_team)).status_code == 403


def test_retrieve_non_uuid_id_returns_404(session_client, team):
    assert session_client.get(url(team, "not-a-uuid/")).status_code == 404


# Case 65
def test_list_empty_returns_whole_envelope(session_client, team):
    response = session_client.get(url(team))
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "users": [], "results": []}


# Case 66
def test_create_returns_whole_body_and_creates_parent_folder(session_client, team, user):
    with pytest.MonkeyPatch.context():
        response = session_client.post(
            url(team), {"path": "MyFolder/Document.txt", "type": "doc-file", "meta": {"description": "A test file"}}, format="json"
        )
    assert response.status_code == 201
    body = response.json()
    entry = FileSystem.objects.get(pk=body["id"])
    assert body == {
        "id": str(entry.pk), "path": "MyFolder/Document.txt", "depth": 2, "type": "doc-file", "ref": None,
        "href": None, "meta": {"description": "A test file"}, "shortcut": False,
        "created_at": entry.created_at.isoformat().replace("+00:00", "Z"), "last_viewed_at": None,
    }
    folder = FileSystem.objects.get(team=team, path="MyFolder")
    assert (folder.type, folder.depth, folder.created_by, entry.created_by) == ("folder", 1, user, user)


# Case 67
def test_create_deep_path_creates_each_parent_folder(session_client, team):
    response = session_client.post(url(team), {"path": "a/b/c/d/e", "type": "doc-file"}, format="json")
    assert response.json()["depth"] == 5
    folders = FileSystem.objects.filter(team=team, type="folder").order_by("depth")
    assert [(f.path, f.depth) for f in folders] == [("a", 1), ("a/b", 2), ("a/b/c", 3), ("a/b/c/d", 4)]


def test_create_single_segment_has_depth_one_and_keeps_shortcut(session_client, team):
    response = session_client.post(url(team), {"path": "Documents", "type": "doc", "shortcut": True}, format="json")
    assert (response.json()["depth"], response.json()["shortcut"]) == (1, True)


def test_create_shortcut_null_is_stored_false(session_client, team):
    response = session_client.post(url(team), {"path": "Documents", "shortcut": None}, format="json")
    assert (response.json()["shortcut"], response.json()["type"]) == (False, "")


# Case 68
@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"path": "NewPath/Subfolder/file.txt"}, ("NewPath/Subfolder/file.txt", 3, "doc")),
        ({"path": "SingleSegment"}, ("SingleSegment", 1, "doc")),
        ({"path": "X/y", "type": "img"}, ("X/y", 2, "img")),
    ],
)
def test_patch_path_recalculates_depth(session_client, team, patch, expected):
    entry = FileSystemFactory(team=team, path="OldPath/file.txt", type="doc")
    response = session_client.patch(url(team, f"{entry.pk}/"), patch, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["path"], body["depth"], body["type"]) == expected
    assert not FileSystem.objects.filter(type="folder").exists()  # update creates no parents


def test_put_replaces_fields(session_client, team):
    entry = FileSystemFactory(team=team, path="a", type="doc", ref="1")
    response = session_client.put(url(team, f"{entry.pk}/"), {"path": "b/c", "type": "img"}, format="json")
    assert (response.status_code, response.json()["path"], response.json()["depth"]) == (200, "b/c", 2)


# Case 69
def test_delete_file_removes_only_it(session_client, team):
    entry = FileSystemFactory(team=team, path="file.txt")
    keep = FileSystemFactory(team=team, path="other.txt")
    assert session_client.delete(url(team, f"{entry.pk}/")).status_code == 204
    assert list(FileSystem.objects.all()) == [keep]


def test_delete_folder_removes_its_children(session_client, team):
    folder = FileSystemFactory(team=team, path="DeleteMe", type="folder")
    FileSystemFactory(team=team, path="DeleteMe/file.txt")
    FileSystemFactory(team=team, path="DeleteMe/file.txt")
    keep = FileSystemFactory(team=team, path="DeleteMeNot/file.txt")
    assert session_client.delete(url(team, f"{folder.pk}/")).status_code == 204
    assert list(FileSystem.objects.all()) == [keep]


# Case 74
def test_list_orders_folders_first_with_depth_and_case_insensitively_without(session_client, team):
    for path, type_ in [("beta", "folder"), ("alpha", "folder"), ("bFile.txt", "doc"), ("Afile.txt", "doc")]:
        FileSystemFactory(team=team, path=path, type=type_)
    assert paths(session_client.get(url(team), {"depth": 1})) == ["alpha", "beta", "Afile.txt", "bFile.txt"]
    assert paths(session_client.get(url(team))) == ["Afile.txt", "alpha", "beta", "bFile.txt"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("-created_at", ["c", "b", "a"]), ("created_at", ["a", "b", "c"]), ("-path", ["c", "b", "a"]),
        ("nonsense", ["c", "b", "a"]),
    ],
)
def test_list_order_by(session_client, team, order_by, expected):
    for day, path in [(1, "a"), (2, "b"), (3, "c")]:
        FileSystemFactory(team=team, path=path, created_at=datetime(2020, 1, day, tzinfo=UTC))
    assert paths(session_client.get(url(team), {"order_by": order_by})) == expected


def test_list_order_by_last_viewed_at_uses_view_log(session_client, team):
    FileSystemFactory(team=team, path="seen-long-ago", type="insight", ref="1")
    FileSystemFactory(team=team, path="seen-recently", type="insight", ref="2")
    FileSystemFactory(team=team, path="never-seen", type="insight", ref="3")
    for ref, viewed_at in [("1", "2020-01-01T00:00:00Z"), ("2", "2020-01-05T00:00:00Z")]:
        session_client.post(url(team, "log_view/"), {"type": "insight", "ref": ref, "viewed_at": viewed_at}, format="json")
    response = session_client.get(url(team), {"order_by": "-last_viewed_at"})
    assert paths(response) == ["seen-recently", "seen-long-ago", "never-seen"]
    assert response.json()["results"][0]["last_viewed_at"] == "2020-01-05T00:00:00Z"


def test_list_with_ref_puts_originals_before_shortcuts(session_client, team):
    FileSystemFactory(team=team, path="a-link", type="insight", ref="9", shortcut=True)
    FileSystemFactory(team=team, path="z-original", type="insight", ref="9")
    assert paths(session_client.get(url(team), {"ref": "9"})) == ["z-original", "a-link"]


# Case 75
@pytest.fixture
def filter_items(team):
    FileSystemFactory(team=team, path="SomeFolder/File1", type="doc", created_at=datetime(2020, 1, 1, tzinfo=UTC))
    FileSystemFactory(team=team, path="SomeFolder/SubFolder/File2", type="doc", created_at=datetime(2020, 1, 2, 10, tzinfo=UTC))
    FileSystemFactory(team=team, path="Other/Img", type="img", created_at=datetime(2020, 1, 3, tzinfo=UTC))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"parent": "SomeFolder"}, ["SomeFolder/File1", "SomeFolder/SubFolder/File2"]),
        ({"parent": "SomeFolder", "depth": 2}, ["SomeFolder/File1"]),
        ({"path": "SomeFolder/File1"}, ["SomeFolder/File1"]),
        ({"type": "doc"}, ["SomeFolder/File1", "SomeFolder/SubFolder/File2"]),
        ({"type__startswith": "d"}, ["SomeFolder/File1", "SomeFolder/SubFolder/File2"]),
        ({"not_type": "doc"}, ["Other/Img"]),
        ({"created_at__gt": "2020-01-01T12:00:00Z", "created_at__lt": "2020-01-03T00:00:00Z"}, ["SomeFolder/SubFolder/File2"]),
        ({"depth": "abc"}, ["Other/Img", "SomeFolder/File1", "SomeFolder/SubFolder/File2"]),
        # Offsets past PostgreSQL's +-15:59, and times the offset carries off the calendar.
        ({"created_at__gt": "2020-01-02T00:00:00-16:30"}, ["Other/Img"]),
        ({"created_at__lt": "2020-01-02T20:00:00+23:59"}, ["SomeFolder/File1"]),
        ({"created_at__gt": "0001-01-01T00:00:00+05:00"}, ["Other/Img", "SomeFolder/File1", "SomeFolder/SubFolder/File2"]),
        ({"created_at__lt": "9999-12-31T23:59:59-05:00"}, ["Other/Img", "SomeFolder/File1", "SomeFolder/SubFolder/File2"]),
    ],
)
def test_list_filters(session_client, team, filter_items, params, expected):
    assert paths(session_client.get(url(team), params)) == expected


# Case 80
def test_list_users_holds_creators_named_in_meta(session_client, team, organization, user):
    paul = UserFactory(first_name="Paul", last_name="Duncan")
    MembershipFactory(organization=organization, user=paul)
    outsider = UserFactory()
    FileSystemFactory(team=team, path="a", meta={"created_by": user.pk})
    FileSystemFactory(team=team, path="b", meta={"created_by": paul.pk})
    FileSystemFactory(team=team, path="c", meta={"created_by": outsider.pk})
    FileSystemFactory(team=team, path="d", meta={"created_by": "not-an-id"})
    response = session_client.get(url(team))
    assert sorted(u["id"] for u in response.json()["users"]) == sorted([user.pk, paul.pk])
    assert [item["meta"]["created_by"] for item in response.json()["results"]] == [user.pk, paul.pk, outsider.pk, "not-an-id"]
    assert set(response.json()["users"][0]) == {
        "id", "uuid", "distinct_id", "first_name", "last_name", "email", "is_email_verified",
        *set(response.json()["users"][0]) - {"id"},
    }


def test_list_query_count_is_bounded(session_client, team, user, django_assert_max_num_queries):
    for index in range(30):
        FileSystemFactory(team=team, path=f"F/{index}", meta={"created_by": user.pk})
    with django_assert_max_num_queries(5):  # incl. the rate-limit counter's upsert
        response = session_client.get(url(team), {"search": "path:F", "depth": 2, "limit": 10})
    assert (response.json()["count"], len(response.json()["results"])) == (30, 10)


def test_list_keeps_integers_beyond_64_bits_in_meta(session_client, team):
    big = 123456789012345678901234567890
    FileSystemFactory(team=team, path="Big", meta={"big": big})
    assert session_client.get(url(team)).json()["results"][0]["meta"] == {"big": big}


def test_list_offset_past_the_end_still_counts(session_client, team):
    FileSystemFactory(team=team, path="a")
    FileSystemFactory(team=team, path="b")
    response = session_client.get(url(team), {"offset": 5})
    assert (response.json()["count"], response.json()["results"], response.json()["next"]) == (2, [], None)


# Case 76
def test_move_folder_moves_children(session_client, team):
    folder = FileSystemFactory(team=team, path="OldFolder", type="folder")
    FileSystemFactory(team=team, path="OldFolder/File1")
    FileSystemFactory(team=team, path="OldFolder/File2")
    response = session_client.post(url(team, f"{folder.pk}/move/"), {"new_path": "NewFolder"}, format="json")
    assert response.status_code == 200
    assert (response.json()["path"], response.json()["depth"], response.json()["id"]) == ("NewFolder", 1, str(folder.pk))
    assert sorted(FileSystem.objects.values_list("path", flat=True)) == ["NewFolder", "NewFolder/File1", "NewFolder/File2"]


@pytest.mark.parametrize("body", [{}, {"new_path": ""}, {"new_path": "  /// "[3:]}, {"new_path": None}])
def test_move_without_new_path_returns_bare_400(session_client, team, body):
    folder = FileSystemFactory(team=team, path="OldFolder", type="folder")
    response = session_client.post(url(team, f"{folder.pk}/move/"), body, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "new_path is required"})


def test_move_folder_into_its_descendant_returns_400(session_client, team):
    folder = FileSystemFactory(team=team, path="OldFolder", type="folder")
    response = session_client.post(url(team, f"{folder.pk}/move/"), {"new_path": "OldFolder/inner"}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "Cannot move folder into itself"})


def test_move_with_json_list_body_returns_400(session_client, team):
    folder = FileSystemFactory(team=team, path="OldFolder", type="folder")
    response = session_client.post(url(team, f"{folder.pk}/move/"), ["x"], format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "new_path is required"})


# Case 77
def test_link_file_creates_shortcut_and_parent(session_client, team):
    entry = FileSystemFactory(team=team, path="OriginalFile.txt")
    response = session_client.post(url(team, f"{entry.pk}/link/"), {"new_path": "NewFolder/NewFile.txt"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["path"], body["shortcut"], body["depth"]) == ("NewFolder/NewFile.txt", True, 2)
    assert body["id"] != str(entry.pk)
    assert FileSystem.objects.filter(team=team, path="NewFolder", type="folder").exists()


def test_link_folder_copies_children(session_client, team):
    folder = FileSystemFactory(team=team, path="Folder1", type="folder")
    FileSystemFactory(team=team, path="Folder1/Child.txt")
    response = session_client.post(url(team, f"{folder.pk}/link/"), {"new_path": "LinkedFolder"}, format="json")
    assert response.json()["depth"] == 1
    assert FileSystem.objects.get(team=team, path="LinkedFolder/Child.txt").depth == 2


def test_link_folder_onto_itself_returns_400(session_client, team):
    folder = FileSystemFactory(team=team, path="Folder2", type="folder")
    response = session_client.post(url(team, f"{folder.pk}/link/"), {"new_path": "Folder2"}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "Cannot link folder into itself"})


# Case 78
def test_count_folder_returns_count_entries_and_has_more(session_client, team):
    folder = FileSystemFactory(team=team, path="OldFolder", type="folder")
    first = FileSystemFactory(team=team, path="OldFolder/a")
    FileSystemFactory(team=team, path="OldFolder/b")
    response = session_client.post(url(team, f"{folder.pk}/count/"))
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["has_more"], [e["path"] for e in body["entries"]]) == (2, False, ["OldFolder/a", "OldFolder/b"])
    assert body["entries"][0]["id"] == str(first.pk)


def test_count_and_move_ignore_list_filters_in_the_query(session_client, team):
    folder = FileSystemFactory(team=team, path="Kept", type="folder")
    FileSystemFactory(team=team, path="Kept/a")
    assert session_client.post(url(team, f"{folder.pk}/count/?type=doc&depth=9")).json()["count"] == 1
    moved = session_client.post(url(team, f"{folder.pk}/move/?type=doc"), {"new_path": "Moved"}, format="json")
    assert moved.json()["path"] == "Moved"


def test_count_by_path_counts_descendants(session_client, team):
    FileSystemFactory(team=team, path="OldFolder/a")
    FileSystemFactory(team=team, path="OldFolder/b")
    response = session_client.post(url(team, "count_by_path/?path=OldFolder"))
    assert (response.status_code, response.json()["count"]) == (200, 2)


def test_count_by_path_without_path_returns_bare_400(session_client, team):
    response = session_client.post(url(team, "count_by_path/"))
    assert (response.status_code, response.json()) == (400, {"detail": "path parameter is required"})


def test_count_on_file_returns_bare_400(session_client, team):
    entry = FileSystemFactory(team=team, path="file")
    response = session_client.post(url(team, f"{entry.pk}/count/"))
    assert (response.status_code, response.json()) == (400, {"detail": "Count can only be called on folders"})


# Bad input never gives a 500
@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"path": ""}, "path"), ({"path": "///"}, "path"), ({"path": "a" * 4097}, "path"), ({}, "path"),
        ({"path": "ok", "type": "t" * 101}, "type"), ({"path": "ok", "meta": [1, 2]}, "meta"),
        ({"path": "ok", "meta": "text"}, "meta"), ({"path": ["a"]}, "path"), ({"path": "a\x00b"}, "path"),
        ({"path": "ok", "meta": {"k": "a\x00"}}, "meta"),
    ],
)
def test_create_with_bad_input_returns_400_with_attr(session_client, team, body, attr):
    response = session_client.post(url(team), body, format="json")
    assert response.status_code == 400
    assert (response.json()["type"], response.json()["attr"]) == ("validation_error", attr)


def test_create_second_folder_at_same_path_returns_400(session_client, team):
    session_client.post(url(team), {"path": "Dup", "type": "folder"}, format="json")
    response = session_client.post(url(team), {"path": "Dup", "type": "folder"}, format="json")
    assert (response.status_code, response.json()["code"], response.json()["attr"]) == (400, "unique", "path")


@pytest.mark.parametrize(
    "params",
    [{"search": "it's \"unbalanced"}, {"search": "'"}, {"order_by": "drop table"}, {"depth": "1.5"},
     {"created_at__gt": "yesterday"}, {"search": "path:"}, {"search": "-"}, {"parent": "\\"}, {"search": "a\\"},
     {"search": "x\x00"}, {"parent": "\x00"}, {"path": "a\x00"}, {"search": "(" * 3000}, {"search": "path:" + "[a" * 500}],
)
def test_list_with_odd_parameters_never_fails(session_client, team, params):
    FileSystemFactory(team=team, path="a/b")
    assert session_client.get(url(team), params).status_code in (200, 400)


def test_log_view_records_and_lists_newest_first(session_client, team):
    for ref, viewed_at in [("1", "2020-01-01T00:00:00Z"), ("2", "2020-01-03T00:00:00Z"), ("1", "2020-01-04T00:00:00Z")]:
        response = session_client.post(url(team, "log_view/"), {"type": "insight", "ref": ref, "viewed_at": viewed_at}, format="json")
        assert response.status_code == 204
    session_client.post(url(team, "log_view/"), {"type": "dashboard", "ref": "5"}, format="json")
    response = session_client.get(url(team, "log_view/"), {"type": "insight"})
    assert response.json() == [
        {"type": "insight", "ref": "1", "viewed_at": "2020-01-04T00:00:00Z"},
        {"type": "insight", "ref": "2", "viewed_at": "2020-01-03T00:00:00Z"},
    ]


def test_move_with_null_character_returns_400(session_client, team):
    entry = FileSystemFactory(team=team, path="file")
    response = session_client.post(url(team, f"{entry.pk}/move/"), {"new_path": "a\x00"}, format="json")
    assert response.status_code == 400


def test_count_by_path_with_null_character_returns_400(session_client, team):
    assert session_client.post(url(team, "count_by_path/?path=%00")).status_code == 400


def test_log_view_without_ref_returns_400(session_client, team):
    response = session_client.post(url(team, "log_view/"), {"type": "insight"}, format="json")
    assert (response.status_code, response.json()["attr"]) == (400, "ref")


def test_log_view_with_read_scope_returns_403(scoped_client, team):
    assert scoped_client(scopes=["file_system:read"]).get(url(team, "log_view/")).status_code == 403


def test_environments_alias_serves_the_same_tree(session_client, team):
    FileSystemFactory(team=team, path="x")
    assert paths(session_client.get(f"/api/environments/{team.pk}/file_system/")) == ["x"]


def test_list_naming_only_the_caller_looks_no_user_up(session_client, team, user):
    FileSystemFactory(team=team, path="mine", meta={"created_by": user.pk})
    with CaptureQueriesContext(connection) as queries:
        response = session_client.get(url(team))
    assert [(u["id"], u["email"]) for u in response.json()["users"]] == [(user.pk, user.email)]
    assert not [q for q in queries.captured_queries if 'FROM "posthog_core_user" INNER JOIN' in q["sql"]]
