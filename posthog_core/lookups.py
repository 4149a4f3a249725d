"""The lookups every API request makes (its key with its user, the URL's project with the caller's
membership) as fixed SQL statements; with a key, both in one round trip.

They run on every request, and compiling them through the ORM each time cost more than the queries
themselves (see bench/bench_me.py and bench/bench_event_definitions.py). The statements are built
once from the models' own metadata, and rows become model instances the way the ORM makes them
(Model.from_db, after each field's database converters), so callers see ordinary instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model

from posthog_core.models import OrganizationMembership, PersonalAPIKey, Project, User


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


@cache
def _row_shape(model: type[Model]) -> tuple[list[str], list[tuple]]:
    """The model's attnames and, per concrete field, its database converters (fixed per model)."""
    fields = model._meta.concrete_fields
    return ([field.attname for field in fields],
            [(field.cached_col, tuple(field.get_db_converters(connection))) for field in fields])


def _instance(model: type[Model], values: tuple) -> Model:
    attnames, converters = _row_shape(model)
    converted = []
    for (column, field_converters), value in zip(converters, values, strict=True):
        for converter in field_converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, attnames, converted)


CURRENT_PROJECT = "@current"


def project_ref(raw: str) -> int | str | None:
    """A URL's `project_id`: an id, CURRENT_PROJECT (the user's current project), or None (no such project)."""
    if raw == CURRENT_PROJECT:
        return CURRENT_PROJECT
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 18 else None


# Whether the user `{user}` belongs to the organization of project `p`.
_MEMBERSHIP = (f"EXISTS (SELECT 1 FROM {OrganizationMembership._meta.db_table} m "
               "WHERE m.organization_id = p.organization_id AND m.user_id = {user})")


@cache
def _key_sql() -> str:
    # The URL's project (if any) and the membership ride along: every project request needs them next.
    return (
        f"SELECT {_columns(PersonalAPIKey, 'k')}, {_columns(User, 'u')}, {_columns(Project, 'p')}, "
        f"{_MEMBERSHIP.format(user='u.id')} "
        f"FROM {PersonalAPIKey._meta.db_table} k JOIN {User._meta.db_table} u ON u.id = k.user_id "
        f"LEFT JOIN {Project._meta.db_table} p "
        "ON p.id = (CASE WHEN %(current)s THEN u.current_project_id ELSE %(project)s END) "
        "WHERE k.secure_value = %(secure_value)s LIMIT 1"
    )


@cache
def _project_sql() -> str:
    return (
        f"SELECT {_columns(Project, 'p')}, {_MEMBERSHIP.format(user='%s')} "
        f"FROM {Project._meta.db_table} p WHERE p.id = %s"
    )


@dataclass
class KeyLookup:
    key: PersonalAPIKey  # with its `user` loaded
    project: tuple[Project, bool] | None  # project_with_membership() of the asked project, for that user


def personal_api_key_by_secure_value(secure_value: str, project: int | str | None = None) -> KeyLookup | None:
    """The key stored with this hash (None when there is none) and, in the same round trip, the
    project `project` (a project_ref()) with whether the key's user is a member of its organization."""
    current = project == CURRENT_PROJECT
    with connection.cursor() as cursor:
        cursor.execute(_key_sql(), {"secure_value": secure_value, "current": current,
                                    "project": None if current else project})
        row = cursor.fetchone()
    if row is None:
        return None
    key_end = len(_row_shape(PersonalAPIKey)[0])
    user_end = key_end + len(_row_shape(User)[0])
    key = _instance(PersonalAPIKey, row[:key_end])
    key.user = _instance(User, row[key_end:user_end])
    found = None if row[user_end] is None else (_instance(Project, row[user_end:-1]), row[-1])
    return KeyLookup(key=key, project=found)


def project_with_membership(project_id: int, user_id: int | None) -> tuple[Project, bool] | None:
    """`(project, whether user_id belongs to its organization)`; None when no such project."""
    with connection.cursor() as cursor:
        cursor.execute(_project_sql(), [user_id, project_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return _instance(Project, row[:-1]), row[-1]
