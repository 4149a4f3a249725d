"""Path splitting, escaping and joining (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from file_system.paths import (
    path_ancestors,
    path_depth,
    path_is_within,
    path_join,
    path_name,
    path_normalize,
    path_parent,
    path_split,
    path_with_name,
)

segments = st.lists(st.text(alphabet=st.sampled_from("ab/\\ .é"), min_size=1, max_size=6), max_size=6)


@given(segments)
def test_path_join_then_split_returns_the_segments(parts):
    assert path_split(path_join(parts)) == parts


@given(segments)
def test_path_split_of_an_escaped_path_joins_back_to_it(parts):
    escaped = path_join(parts)
    assert path_join(path_split(escaped)) == escaped


@given(segments)
def test_path_depth_equals_segment_count(parts):
    assert path_depth(path_join(parts)) == len(parts)


@given(st.text(alphabet=st.sampled_from("ab/\\"), max_size=12))
def test_path_normalize_is_idempotent(raw):
    assert path_normalize(path_normalize(raw)) == path_normalize(raw)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b/c", ["a", "b", "c"]),
        ("Flag \\/ With Slash", ["Flag / With Slash"]),
        ("a\\\\/b", ["a\\", "b"]),
        ("/a//b/", ["a", "b"]),
        ("", []),
        ("///", []),
        ("odd\\x", ["odd\\x"]),
    ],
)
def test_path_split_cases(path, expected):
    assert path_split(path) == expected


def test_path_join_escapes_slash_and_backslash():
    assert path_join(["a/b", "c\\d"]) == "a\\/b/c\\\\d"


def test_path_helpers_on_escaped_path():
    path = "Banana/go\\/revenue"
    assert (path_depth(path), path_parent(path), path_name(path)) == (2, "Banana", "go/revenue")
    assert path_ancestors("a/b/c/d") == ["a", "a/b", "a/b/c"]
    assert path_with_name("a/b", "x/y") == "a/x\\/y"


@pytest.mark.parametrize(
    ("path", "folder", "expected"),
    [("a/b", "a", True), ("a", "a", True), ("ab", "a", False), ("a\\/b", "a", False)],
)
def test_path_is_within_respects_segment_boundaries(path, folder, expected):
    assert path_is_within(path, folder) is expected
