"""Login lockout at /api-auth/login/: failures per account and per address, the right password refused
while locked, released when the window closes, each failure and refusal logged without the password."""

import logging
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/api-auth/login/"
WRONG = "not-the-password-41"
START = datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def lockout_settings(settings):
    settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES = 3
    settings.LOGIN_LOCKOUT_ADDRESS_FAILURES = 5
    settings.LOGIN_LOCKOUT_WINDOW_SECONDS = 900
    return settings


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def attempt(email: str, password: str, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": email, "password": password})


def test_correct_password_logs_in(user, clock):
    assert attempt(user.email, "password").status_code == 302


def test_failed_attempts_are_answered_with_the_form(user, clock):
    assert attempt(user.email, WRONG).status_code == 200


def test_account_locked_after_failures_refuses_the_correct_password_with_429(user, clock):
    for _ in range(3):
        attempt(user.email, WRONG)
    clock.shift(60)

    refused = attempt(user.email, "password", address="198.51.100.1")

    assert refused.status_code == 429
    assert refused.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Too many failed login attempts. Try again in 840 seconds.",
        "attr": None,
    }
    assert refused["Retry-After"] == "840"


def test_account_lock_is_released_when_the_window_closes(user, clock):
    for _ in range(4):
        attempt(user.email, WRONG)
    clock.shift(900)

    assert attempt(user.email, "password").status_code == 302


def test_address_locked_after_failures_across_accounts(user, clock):
    for number in range(5):
        attempt(f"nobody{number}@example.com", WRONG)

    assert attempt(user.email, "password").status_code == 429
    assert attempt(user.email, "password", address="198.51.100.1").status_code == 302


def test_successful_logins_do_not_count_toward_the_lockout(user, clock):
    attempt(user.email, WRONG)
    attempt(user.email, WRONG)

    assert [attempt(user.email, "password").status_code for _ in range(4)] == [302, 302, 302, 302]


def test_account_name_is_matched_without_case_or_spaces(user, clock):
    for _ in range(3):
        attempt(f"  {user.email.upper()} ", WRONG)

    assert attempt(user.email, "password").status_code == 429


def test_failures_and_refusals_are_logged_without_the_password(user, clock, caplog):
    caplog.set_level(logging.WARNING, logger="posthog_core.login")
    for _ in range(4):
        attempt(user.email, WRONG)

    messages = [record.getMessage() for record in caplog.records if record.name == "posthog_core.login"]
    assert messages == [f"login failed username='{user.email}' address=203.0.113.7"] * 3 + [
        f"login refused (locked out) username='{user.email}' address=203.0.113.7"
    ]
    assert WRONG not in caplog.text
