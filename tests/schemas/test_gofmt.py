"""The Go generator writes exactly what gofmt writes, for names of every length and shape the API
accepts (event and property names up to 400 characters, any Unicode but NUL, allowed values),
checked with the real `gofmt -l`; the same files then pass go vet and go build."""

from __future__ import annotations

import math
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.generators import EventSpec, PropertySpec, generate_golang
from tests.schemas.toolchains import INSTALL_HINT, go_build

# What a name can be: the API stores up to 400 characters of any text PostgreSQL accepts (no NUL;
# Hypothesis leaves out lone surrogates). Identifier-like names are drawn separately so that long
# plain names, the ones that crossed gofmt's one-line budget, come up often.
ANY_TEXT = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
NAMES = st.one_of(
    st.text(ANY_TEXT, min_size=1, max_size=400),
    st.from_regex(r"[a-z][a-z0-9_]{0,399}", fullmatch=True),
    st.text(st.sampled_from("aZ9_-. $/\\\"'`\t\n*#"), min_size=1, max_size=120),
)
FINITE = st.one_of(
    st.integers(min_value=-(10**300), max_value=10**300),
    st.floats(allow_nan=False, allow_infinity=False).filter(math.isfinite),
)


@st.composite
def properties(draw) -> PropertySpec:
    property_type = draw(st.sampled_from(["String", "Numeric", "Boolean", "DateTime", "Array", "Object"]))
    allowed = None
    if property_type == "String" and draw(st.booleans()):
        allowed = tuple(draw(st.lists(st.text(ANY_TEXT, max_size=60), min_size=1, max_size=6, unique=True)))
    elif property_type == "Numeric" and draw(st.booleans()):
        allowed = tuple(draw(st.lists(FINITE, min_size=1, max_size=6, unique=True)))
    return PropertySpec(draw(NAMES), property_type, draw(st.booleans()), allowed_values=allowed)


EVENTS = st.lists(
    st.builds(EventSpec, NAMES, st.lists(properties(), max_size=5).map(tuple)),
    min_size=1, max_size=6, unique_by=lambda event: event.name,
)


def gofmt_lists(source: str) -> str:
    """What `gofmt -l` prints for the source (its name when gofmt would change it)."""
    result = subprocess.run(["gofmt", "-l"], input=source, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr  # a syntax error is a failure too
    return result.stdout


def test_go_output_is_gofmt_clean_and_builds_for_any_names(tmp_path):
    if not shutil.which("gofmt"):
        pytest.fail(f"Go toolchain missing: {INSTALL_HINT}")
    sources: list[str] = []

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(EVENTS)
    def formatted_as_gofmt(events):
        source = generate_golang(events).content
        assert gofmt_lists(source) == ""
        sources.append(source)

    formatted_as_gofmt()
    # One build for all examples: each is its own package under the module.
    extra = {f"typed{i}/typed.go": source.replace("package typed\n", f"package typed{i}\n", 1)
             for i, source in enumerate(sources)}
    built = go_build(tmp_path, sources[0], extra)
    assert built.returncode == 0, built.stdout + built.stderr[:3000]


def test_go_long_option_functions_keep_gofmt_layout():
    name = "checkout_completed_with_a_very_long_descriptive_event_name"
    events = [EventSpec(name, (PropertySpec("applied_coupon_code_for_the_order", "String", False),))]

    assert gofmt_lists(generate_golang(events).content) == ""


def test_go_allowed_values_of_unequal_length_align_as_gofmt_does():
    events = [EventSpec("purchase", (PropertySpec("plan", "String", True, allowed_values=("pro", "enterprise")),))]

    content = generate_golang(events).content
    assert '\tPurchasePlanValuePro        PurchasePlanValue = "pro"\n' in content
    assert gofmt_lists(content) == ""


def test_go_wide_integral_allowed_values_are_written_as_float64_constants(tmp_path):
    values = (-(10**200), 10**300, -2.614605913534343e203, 2**53 - 1, -(2**64))
    events = [EventSpec("purchase", (PropertySpec("amount", "Numeric", True, allowed_values=values),))]

    content = generate_golang(events).content
    assert "= -1e+200\n" in content and "= 9007199254740991\n" in content
    built = go_build(tmp_path, content)
    assert built.returncode == 0, built.stderr
