"""The generated code compiles against the real libraries, and wrong calls do not (reference §6
plus allowed values). A deliberately broken generator is caught."""

import pytest

from schemas.generators import clear_caches, generate_golang, generate_python, generate_typescript
from schemas.generators import golang as go_module
from schemas.generators import python as python_module
from schemas.generators import typescript as ts_module
from tests.schemas.fixtures import REFERENCE_EVENTS
from tests.schemas.toolchains import go_build, mypy, tsc

TS_VALID = """
import posthog from './typed'
posthog.capture('test_event', { required_field: 1 })
posthog.capture('test_event', { required_field: 1, optional_field: 'x', not_in_schema: true })
posthog.capture('optional_event')
posthog.capture('untyped_event', { anything: [1, 2] })
posthog.capture('never_defined_event', { anything: 1 })
posthog.capture('purchase', { plan: 'pro', seats: 5, paid_at: new Date(), items: [1], meta: { a: 1 }, gift: false })
posthog.capture('we"ird\\\\name 😀')
const dynamic: string = 'test_event'
posthog.captureRaw(dynamic, {})
"""

TS_INVALID = {
    "missing_required": "posthog.capture('test_event', { optional_field: 'x' })",
    "wrong_type": "posthog.capture('test_event', { required_field: 'one' })",
    "not_allowed": "posthog.capture('purchase', { plan: 'enterprise' })",
    "number_not_allowed": "posthog.capture('purchase', { plan: 'free', seats: 3 })",
    "no_properties_when_required": "posthog.capture('test_event')",
    "plain_string_name": "const name: string = 'x'\nposthog.capture(name, {})",
}

PY_VALID = """
from datetime import datetime

import posthog_typed

posthog_typed.capture("test_event", distinct_id="u1", properties={"required_field": 1.5})
posthog_typed.capture("downloaded_file", properties={"file_name": "a", "class_": "b", "prop_123x": 2})
posthog_typed.capture("optional_event")
posthog_typed.capture("untyped_event", properties={"anything": 1})
posthog_typed.capture("purchase", properties={"plan": "pro", "seats": 10, "paid_at": datetime.now()})
posthog_typed.capture_raw("whatever", properties={"x": 1})
"""

PY_INVALID = {
    "missing_required": 'posthog_typed.capture("test_event", properties={"optional_field": "x"})',
    "wrong_type": 'posthog_typed.capture("test_event", properties={"required_field": "one"})',
    "not_allowed": 'posthog_typed.capture("purchase", properties={"plan": "enterprise"})',
    "unknown_event": 'posthog_typed.capture("never_defined_event")',
}

GO_VALID = """package main

import (
	"time"

	"example.com/typedcheck/typed"
	"github.com/posthog/posthog-go"
)

func main() {
	client := posthog.New("key")
	defer client.Close()
	_ = client.Enqueue(typed.UserSignedUpCapture("u1", 12, typed.UserSignedUpWithFileExt("png")))
	_ = client.Enqueue(typed.PurchaseCapture("u1", typed.PurchasePlanValuePro, typed.PurchaseWithPaidAt(time.Now()),
		typed.PurchaseWithSeats(typed.PurchaseSeatsValue5), typed.PurchaseWithExtraProps(posthog.Properties{"x": 1})))
	_ = client.Enqueue(typed.UntypedEventCapture("u1", posthog.Properties{"any": true}))
	_ = client.Enqueue(typed.TestEventCaptureFromBase(posthog.Capture{DistinctId: "u1"}, 3))
}
"""

GO_INVALID = {
    "missing_required": 'typed.TestEventCapture("u1")',
    "wrong_type": 'typed.TestEventCapture("u1", "three")',
    "unknown_option": 'typed.TestEventCapture("u1", 1, typed.PurchaseWithGift(true))',
}


def go_main(statement: str) -> str:
    return f'package main\n\nimport "example.com/typedcheck/typed"\n\nfunc main() {{\n\t_ = {statement}\n}}\n'


def test_typescript_valid_calls_compile_with_strict_tsc(tmp_path):
    result = tsc(tmp_path, {"typed.ts": generate_typescript(REFERENCE_EVENTS).content, "use.ts": TS_VALID})
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("case", sorted(TS_INVALID))
def test_typescript_invalid_call_fails_to_compile(tmp_path, case):
    source = f"import posthog from './typed'\n{TS_INVALID[case]}\n"
    result = tsc(tmp_path, {"typed.ts": generate_typescript(REFERENCE_EVENTS).content, "use.ts": source})
    assert result.returncode != 0
    assert "use.ts(" in result.stdout and "typed.ts(" not in result.stdout


def test_python_valid_calls_pass_mypy_strict(tmp_path):
    result = mypy(tmp_path, {"posthog_typed.py": generate_python(REFERENCE_EVENTS).content, "use.py": PY_VALID})
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("case", sorted(PY_INVALID))
def test_python_invalid_call_fails_mypy(tmp_path, case):
    source = f"import posthog_typed\n\n{PY_INVALID[case]}\n"
    result = mypy(tmp_path, {"posthog_typed.py": generate_python(REFERENCE_EVENTS).content, "use.py": source})
    assert result.returncode == 1
    assert "use.py:3: error" in result.stdout and "posthog_typed.py:" not in result.stdout


@pytest.mark.parametrize("events", [REFERENCE_EVENTS[:1], REFERENCE_EVENTS[4:5], []], ids=["untyped", "typed", "none"])
def test_python_one_or_no_event_passes_mypy_strict(tmp_path, events):
    result = mypy(tmp_path, {"posthog_typed.py": generate_python(events).content})
    assert result.returncode == 0, result.stdout


def test_go_generated_package_passes_vet_and_build(tmp_path):
    result = go_build(tmp_path, generate_golang(REFERENCE_EVENTS).content, {"cmd/main.go": GO_VALID})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case", sorted(GO_INVALID))
def test_go_invalid_call_fails_to_build(tmp_path, case):
    result = go_build(tmp_path, generate_golang(REFERENCE_EVENTS).content, {"cmd/main.go": go_main(GO_INVALID[case])})
    assert result.returncode != 0
    assert "cmd/main.go" in result.stderr and "typed/typed.go" not in result.stderr


@pytest.mark.parametrize(
    ("module", "table", "check"),
    [
        (ts_module, "TS_TYPES", lambda tmp: tsc(tmp, {"typed.ts": generate_typescript(REFERENCE_EVENTS).content})),
        (python_module, "PY_TYPES", lambda tmp: mypy(tmp, {"posthog_typed.py": generate_python(REFERENCE_EVENTS).content})),
        (go_module, "GO_TYPES", lambda tmp: go_build(tmp, generate_golang(REFERENCE_EVENTS).content)),
    ],
    ids=["typescript", "python", "golang"],
)
def test_compile_check_catches_a_broken_generator(tmp_path, monkeypatch, module, table, check):
    monkeypatch.setitem(getattr(module, table), "Numeric", "nmber")
    clear_caches()
    try:
        assert check(tmp_path).returncode != 0
    finally:
        monkeypatch.undo()
        clear_caches()
