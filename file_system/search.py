"""The file-system search grammar (§8.2) turned into one `Q` per token, AND-ed together.

Tokens split shell-style (quotes keep spaces; an unbalanced quote falls back to whitespace
splitting). A leading `-` or `!` negates a token. Fields: `path:` (parent segments), `name:`
(last segment), `user:`/`author:` (`me` = the current user), `type:` (exact, `x/` prefix, bare hog
kinds), `ref:`. Anything else is plain text matched against path or type, where `/` also matches
an escaped `\\/`.
"""

from __future__ import annotations

import re
import shlex

from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Concat

from posthog_core.models import User

HOG_FUNCTION_KINDS = frozenset({"broadcast", "campaign", "destination", "site_app", "source", "transformation"})
FIELDS = frozenset({"path", "name", "user", "author", "type", "ref"})
# The escaped parent part of a path: everything up to (and with) the last unescaped `/`.
_PARENT_RE = r"^((?:(?:\\.|[^\\/])*/)*)"


def parent_expression() -> Func:
    return Func(F("path"), Value(_PARENT_RE), function="substring", output_field=TextField())


def search_tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _term_regex(term: str) -> str:
    """A case-insensitive regex for `term` where each `/` may be stored escaped as `\\/`."""
    return r"\\?/".join(re.escape(part) for part in term.split("/"))


def _user_q(value: str, user) -> Q:
    if value.lower() == "me":
        return Q(created_by_id=getattr(user, "pk", None))
    matching = User.objects.annotate(full_name=Concat("first_name", Value(" "), "last_name")).filter(
        Q(full_name__icontains=value) | Q(email__icontains=value)
    )
    return Q(created_by__in=matching.values("pk"))


def _type_q(value: str) -> Q:
    if value.endswith("/"):
        return Q(type__startswith=value)
    if value in HOG_FUNCTION_KINDS:
        return Q(type=f"hog_function/{value}")
    return Q(type=value)


def _plain_q(term: str, *, name_only: bool) -> Q:
    if name_only:
        return Q(name__icontains=term)
    return Q(path__iregex=_term_regex(term)) | Q(type__icontains=term)


def token_q(token: str, *, user, name_only: bool = False) -> Q | None:
    """The condition one token adds, or None for an empty token."""
    negate = len(token) > 1 and token[0] in "-!"
    if negate:
        token = token[1:]
    field, sep, value = token.partition(":")
    field = field.lower()
    if not sep or field not in FIELDS or not value:
        condition = _plain_q(token, name_only=name_only) if token else None
    elif field == "path":
        condition = Q(fs_parent__iregex=_term_regex(value))
    elif field == "name":
        condition = Q(name__icontains=value)
    elif field in ("user", "author"):
        condition = _user_q(value, user)
    elif field == "type":
        condition = _type_q(value)
    else:
        condition = Q(ref=value)
    if condition is None:
        return None
    return ~condition if negate else condition


def search_filter(queryset, text: str, *, user, name_only: bool = False):
    """Apply every token of `text` to `queryset` (AND)."""
    tokens = search_tokens(text)
    if any(token.lstrip("-!").lower().startswith("path:") for token in tokens):
        queryset = queryset.annotate(fs_parent=parent_expression())
    for token in tokens:
        condition = token_q(token, user=user, name_only=name_only)
        if condition is not None:
            queryset = queryset.filter(condition)
    return queryset
