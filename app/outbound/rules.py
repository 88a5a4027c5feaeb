"""The outbound side's shared vocabulary: who sends, the sentences staff read when a reply cannot
go out, and the one form a reply's text is compared in.

Replies (app.outbound.replies), the send protocol (app.outbound.sending, app.outbound.jobs) and
echo matching (app.outbound.echo) all need these; keeping them here means none of those modules
imports another just for a constant.
"""
from __future__ import annotations

import unicodedata

from app.models import Message
from app.outbound.media_store import MEDIA_TTL

# Message.source of the replies we send ourselves; "app" is one typed in the Instagram app, and
# "instagram" a customer's message.
OUR_SOURCES = ("inbox", "api", "automation")
# Who counts as "a person" for Instagram's Human Agent tag: only a reply typed in the inbox.
# API clients and automation may be programs, and Meta forbids the tag on automated replies.
HUMAN_SOURCES = ("inbox",)


def is_human(message: Message) -> bool:
    return message.source in HUMAN_SOURCES


def _duration(ttl) -> str:
    hours = round(ttl.total_seconds() / 3600)
    if hours > 24 and hours % 24 == 0:
        return f"{hours // 24} days"
    return f"{hours} hour{'' if hours == 1 else 's'}"


# Sentences for staff (shown on a failed or refused reply).
RENEW_CONNECTION = "The Instagram connection needs to be renewed."
DISCONNECTED = "This Instagram account is disconnected; reconnect it on the Accounts page to send."
MAY_NOT_HAVE_BEEN_DELIVERED = (
    "Instagram did not confirm this message, so it may not have been delivered. "
    "Check the conversation in the Instagram app before retrying."
)
ATTACHMENT_GONE = (
    f"The attachment is no longer stored (attachments are kept for {_duration(MEDIA_TTL)}); "
    "attach it again in a new reply."
)


def normalize_text(text: str | None) -> str:
    """The form both sides are compared in: browsers send CRLF, Meta may trim and recompose."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
