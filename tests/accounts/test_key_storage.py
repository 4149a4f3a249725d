"""Keys are never stored or logged in plain text: the database holds only `sha256$` hashes and masks."""

import logging

import pytest
from django.db import connection

from accounts.services import personal_api_key_create, personal_api_key_roll
from posthog_core.models import PersonalAPIKey, hash_key_value

pytestmark = pytest.mark.django_db


def database_contains(text: str) -> list[str]:
    """Every table of the database whose rows, as text, contain `text`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        hits = []
        for table in tables:
            cursor.execute(f'SELECT 1 FROM "{table}" AS t WHERE t::text LIKE %s LIMIT 1', [f"%{text}%"])
            if cursor.fetchone():
                hits.append(table)
    return hits


def test_database_holds_only_the_hash_and_mask_of_a_created_key(session_client):
    value = session_client.post("/api/personal_api_keys/", {"label": "x", "scopes": ["*"]}, format="json").json()["value"]

    key = PersonalAPIKey.objects.get()
    assert database_contains(value) == []
    assert database_contains(value[4:-4]) == []
    assert key.secure_value == "sha256$" + __import__("hashlib").sha256(value.encode()).hexdigest()
    assert key.mask_value == value[:4] + "..." + value[-4:]


def test_database_holds_only_the_hash_of_a_rolled_key(user):
    key = personal_api_key_roll(key=personal_api_key_create(user=user, label="r", scopes=["*"]))

    assert database_contains(key._plain_value[4:-4]) == []
    assert PersonalAPIKey.objects.get().secure_value == hash_key_value(key._plain_value)


def test_every_stored_key_is_a_sha256_hash(user):
    for label in ("a", "b", "c"):
        personal_api_key_create(user=user, label=label, scopes=["*"])

    assert all(value.startswith("sha256$") and len(value) == 71 for value in PersonalAPIKey.objects.values_list("secure_value", flat=True))


@pytest.mark.urls("tests.posthog_core.probe_urls")
@pytest.mark.parametrize(
    "path", ["/api/users/@me/", "/api/projects/{id}/activity_log/", "/api/projects/{id}/probe/crash/", "/api/nowhere/"]
)
def test_keys_in_requests_never_reach_the_logs(api_client, user, team, caplog, path):
    key = personal_api_key_create(user=user, label="logged", scopes=["user:read", "activity_log:read"])
    url = path.format(id=team.id)

    with caplog.at_level(logging.DEBUG):
        api_client.get(url, {"personal_api_key": key._plain_value})
        api_client.get(url, {"personal_api_key": key._plain_value + "x"})
        api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {key._plain_value}")

    assert key._plain_value[4:-4] not in caplog.text


def test_log_formatter_redacts_keys_even_inside_tracebacks():
    from posthog_core.log_format import RedactingFormatter

    value = "phx_" + "a1B2c3D4" * 5
    try:
        raise RuntimeError(f"crashed while handling {value}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s", (value,), sys.exc_info())

    text = RedactingFormatter("%(message)s").format(record)

    assert value not in text
    assert text.startswith("key phx_[redacted]")
    assert "crashed while handling phx_[redacted]" in text


def test_console_logging_uses_the_redacting_formatter():
    from django.conf import settings

    assert settings.LOGGING["formatters"]["plain"]["()"] == "posthog_core.log_format.RedactingFormatter"
