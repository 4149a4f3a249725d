"""The file-system search grammar (§8.2) turned into one SQL condition per token, AND-ed together.

Tokens split shell-style (quotes keep spaces; an unbalanced quote falls back to whitespace
splitting). A leading `-` or `!` negates a token. Fields: `path:` (parent segments), `name:`
(last segment), `user:`/`author:` (`me` = the current user), `type:` (exact, `x/` prefix, bare hog
kinds), `ref:`. Anything else is plain text matched against path or type, where `/` also matches
an escaped `\\/`.

Conditions are SQL over the alias `f` (the entries table) in a statement that binds `%(team)s` to
the project; every value goes through `bind`, which returns a named placeholder, so nothing the
user typed is ever interpolated.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from django.db import connection

from file_system.models import FileSystemName
from posthog_core.models import User

HOG_FUNCTION_KINDS = frozenset({"broadcast", "campaign", "destination", "site_app", "source", "transformation"})
FIELDS = frozenset({"path", "name", "user", "author", "type", "ref"})
# The escaped parent part of a path: everything up to (and with) the last unescaped `/`.
PARENT_RE = r"^((?:(?:\\.|[^\\/])*/)*)"

Bind = Callable[[object], str]


def like_escape(value: str) -> str:
    """`value` as a literal inside a LIKE pattern (Django's escaping for the database)."""
    return connection.ops.prep_for_like_query(value)


def contains_sql(column: str, value: str, bind: Bind) -> str:
    """Case-insensitive substring match in the `UPPER(col) LIKE` form the name trigram index serves."""
    return f"UPPER({column}) LIKE UPPER({bind('%' + like_escape(value) + '%')})"


def _name_sql(value: str, bind: Bind) -> str:
    """Entries whose name (last segment) contains `value`: through the names' trigram index."""
    names = FileSystemName._meta.db_table
    return (f"f.id IN (SELECT n.entry_id FROM {names} n WHERE n.team_id = %(team)s"
            f" AND {contains_sql('n.name', value, bind)})")


def search_tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _term_regex(term: str) -> str:
    """A case-insensitive regex for `term` where each `/` may be stored escaped as `\\/`."""
    return r"\\?/".join(re.escape(part) for part in term.split("/"))


def _user_sql(value: str, user, bind: Bind) -> str:
    if value.lower() == "me":
        pk = getattr(user, "pk", None)
        return "f.created_by_id IS NULL" if pk is None else f"f.created_by_id = {bind(pk)}"
    users = User._meta.db_table
    full_name = contains_sql("(u.first_name || ' ' || u.last_name)", value, bind)
    email = contains_sql("u.email", value, bind)
    return f"f.created_by_id IN (SELECT u.id FROM {users} u WHERE {full_name} OR {email})"


def _type_sql(value: str, bind: Bind) -> str:
    if value.endswith("/"):
        return f"f.type LIKE {bind(like_escape(value) + '%')}"
    if value in HOG_FUNCTION_KINDS:
        return f"f.type = {bind(f'hog_function/{value}')}"
    return f"f.type = {bind(value)}"


def _plain_sql(term: str, *, name_only: bool, bind: Bind) -> str:
    if name_only:
        return _name_sql(term, bind)
    return f"(f.path ~* {bind(_term_regex(term))} OR {contains_sql('f.type', term, bind)})"


def token_sql(token: str, *, user, bind: Bind, name_only: bool = False) -> str | None:
    """The condition one token adds, or None for an empty token."""
    negate = len(token) > 1 and token[0] in "-!"
    if negate:
        token = token[1:]
    field, sep, value = token.partition(":")
    field = field.lower()
    if not sep or field not in FIELDS or not value:
        condition = _plain_sql(token, name_only=name_only, bind=bind) if token else None
    elif field == "path":
        condition = f"substring(f.path, {bind(PARENT_RE)}) ~* {bind(_term_regex(value))}"
    elif field == "name":
        condition = _name_sql(value, bind)
    elif field in ("user", "author"):
        condition = _user_sql(value, user, bind)
    elif field == "type":
        condition = _type_sql(value, bind)
    else:
        condition = f"f.ref = {bind(value)}"
    if condition is None:
        return None
    # A negated token excludes the entries it matches; a NULL (no creator, no ref) matches nothing.
    return f"NOT COALESCE({condition}, false)" if negate else condition


def search_sql(text: str, *, user, bind: Bind, name_only: bool = False) -> list[str]:
    """One condition per non-empty token of `text` (to be AND-ed)."""
    conditions = (token_sql(token, user=user, bind=bind, name_only=name_only) for token in search_tokens(text))
    return [condition for condition in conditions if condition is not None]
