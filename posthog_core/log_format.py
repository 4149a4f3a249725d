"""Log formatting that redacts personal API keys, as a second line of defence.

Keys are never logged on purpose (no access log, `django.request` logs paths without query
strings), but an exception message or a third-party log line could still quote one; the
formatter masks anything shaped like a key in the final text, tracebacks included.
"""

from __future__ import annotations

import logging
import re

KEY_PATTERN = re.compile(r"\b(ph[xa])_[A-Za-z0-9]{8,}")
# The access log masks project tokens too, and anywhere in a path (no word boundary needed).
SECRET_PATTERN = re.compile(r"(ph[xac])_[A-Za-z0-9]{8,}")


def redact_keys(text: str) -> str:
    return KEY_PATTERN.sub(r"\1_[redacted]", text)


def redact_secrets(text: str) -> str:
    return SECRET_PATTERN.sub(r"\1_[redacted]", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_keys(super().format(record))
