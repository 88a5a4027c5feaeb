"""Keeps access tokens and the app secret out of text that leaves the process.

Exception messages, reprs and log lines end up in error trackers, the job
registry and terminals. A leaked Instagram token lets anyone read and send DMs
as the business, so every such string passes through `redact` first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"  # no letters or digits, so masking can never recreate a token

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Query strings and form bodies: ...&access_token=XYZ&...
    (
        re.compile(r"\b(access_token|client_secret|code|fb_exchange_token|appsecret_proof)=[^&\s\"']+", re.I),
        rf"\1={MASK}",
    ),
    # JSON bodies: "access_token": "XYZ"
    (re.compile(r"(\"(?:access_token|client_secret)\"\s*:\s*)\"[^\"]*\"", re.I), rf'\1"{MASK}"'),
    # Authorization headers
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]+", re.I), rf"\1 {MASK}"),
    # Bare Instagram (IG...) and Facebook (EAA...) user tokens.
    (re.compile(r"\b(?:IG[A-Za-z0-9_-]{16,}|EAA[A-Za-z0-9]{16,})"), MASK),
    # App secrets are 32 lowercase hex characters.
    (re.compile(r"\b[0-9a-f]{32}\b"), MASK),
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with known `secrets` and anything shaped like a credential masked.

    Known secrets are replaced last, so no pattern substitution can leave one behind.
    """
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a log record's final message through `redact`.

    urllib3 logs every request line at DEBUG, query string included; Meta's
    token endpoints require the token in that query string.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


# Loggers that can print a request URL we built.
_URL_LOGGERS = ("urllib3.connectionpool",)


def install_log_redaction() -> None:
    """Attach a `RedactingFilter` to the loggers that print request URLs (idempotent)."""
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
