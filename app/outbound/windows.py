"""Instagram's reply windows, as the server enforces them for every send (inbox, API, automation).

Inside 24 hours of the customer's last message anyone may reply. From 24 hours to 7 days only a
person may, with the HUMAN_AGENT tag, and only if the workspace has that permission from Meta.
Beyond that, or before the customer ever wrote, Instagram accepts no reply at all.

Both windows are Meta's policy, not a setting of ours, and the "24 hours" / "7 days" written out
in sentences (this module's, app/instagram/errors.py, app/api/openapi.py, app/outbound/jobs.py,
and the inbox, automation and settings templates: grep for "24 hours", "24-hour" and "7 days")
state that policy. If Meta changes it, change them together with STANDARD_WINDOW and
HUMAN_AGENT_WINDOW below.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.extensions import db
from app.models import Conversation, Workspace, utcnow

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)

OPEN = "open"
HUMAN_AGENT = "human_agent"
CLOSED = "closed"


@dataclass(frozen=True)
class ReplyWindow:
    """Where a conversation stands, for a human (or automated) sender.

    state: "open" (< 24 h), "human_agent" (24 h - 7 d) or "closed".
    ends_at: when the current state's window ends (None when closed).
    can_reply: whether this sender may reply now.
    human_agent: the reply must carry the HUMAN_AGENT tag.
    reason: one readable sentence for staff (why they can or cannot reply).
    refusal_code: the ReplyRefused code when `can_reply` is False.
    """

    state: str
    ends_at: datetime | None
    can_reply: bool
    human_agent: bool
    reason: str
    refusal_code: str | None = None


def reply_window(conversation: Conversation, now: datetime | None = None, human: bool = True,
                 human_agent_enabled: bool | Callable[[], bool] | None = None) -> ReplyWindow:
    """human_agent_enabled: the workspace's Human Agent setting, or a function giving it (called
    only when the answer matters), so a caller judging many conversations reads it once; None:
    looked up here."""
    now = now or utcnow()
    if conversation.kind == "comments":
        # Comments are answered on the post (a public reply) or privately from one comment; a plain
        # DM to the commenter is not how Instagram lets a business answer a comment.
        return ReplyWindow(CLOSED, None, False, False,
                           "These are comments on a post: answer them on the post, or privately from a "
                           "comment; a direct message is not sent from here.", "not_a_dm")
    last_inbound = conversation.last_inbound_at
    if last_inbound is None:
        return ReplyWindow(CLOSED, None, False, False,
                           "This customer has not written to the account yet; Instagram only allows a reply "
                           "after they message first.", "window_closed")

    # A last message dated after now (a sender's wrong clock; rows stored before ingestion bounded
    # event times) counts as now: adding the windows to a time near year 9999 would overflow.
    last_inbound = min(last_inbound, now)
    standard_end = last_inbound + STANDARD_WINDOW
    if now < standard_end:
        return ReplyWindow(OPEN, standard_end, True, False,
                           f"Replies are open until {_when(standard_end)} (24 hours after the customer's "
                           "last message).")

    human_end = last_inbound + HUMAN_AGENT_WINDOW
    if now >= human_end:
        return ReplyWindow(CLOSED, None, False, False,
                           "More than 7 days have passed since the customer's last message; Instagram does "
                           "not allow a reply until they write again.", "window_closed")

    if human_agent_enabled is None:
        human_agent_enabled = _human_agent_enabled(conversation)
    elif callable(human_agent_enabled):
        human_agent_enabled = human_agent_enabled()
    if not human_agent_enabled:
        return ReplyWindow(HUMAN_AGENT, human_end, False, False,
                           "More than 24 hours have passed since the customer's last message, so Instagram "
                           "no longer accepts a reply. (A person may answer for up to 7 days with the Human "
                           "Agent permission, which this workspace has not turned on.)", "window_closed")
    if not human:
        return ReplyWindow(HUMAN_AGENT, human_end, False, False,
                           "More than 24 hours have passed since the customer's last message: only a person "
                           "replying from the inbox may answer now (Instagram's Human Agent tag); automated "
                           "and API replies are not allowed.", "human_agent_required")
    return ReplyWindow(HUMAN_AGENT, human_end, True, True,
                       "More than 24 hours have passed since the customer's last message: your reply is sent "
                       f"as a human agent reply, possible until {_when(human_end)}.")


def _human_agent_enabled(conversation: Conversation) -> bool:
    workspace = db.session.get(Workspace, conversation.workspace_id)
    return bool(workspace and workspace.human_agent_enabled)


COUNTDOWN_UNDER = timedelta(hours=4)  # the list and header count down once the window is this close to closing


def window_closes_at(conversation: Conversation, now: datetime | None = None) -> datetime | None:
    """When Instagram's 24-hour window of this conversation closes; None when it is closed already
    or never opened (the customer has not written). The API's `window_closes_at`."""
    if conversation.last_inbound_at is None or conversation.kind == "comments":
        return None  # comments have no DM window (a private reply has its own 7 days per comment)
    now = now or utcnow()
    end = min(conversation.last_inbound_at, now) + STANDARD_WINDOW
    return end if now < end else None


def closing_soon(conversation: Conversation, now: datetime | None = None) -> datetime | None:
    """The window's end when it is under COUNTDOWN_UNDER away (rows show a countdown), else None."""
    now = now or utcnow()
    end = window_closes_at(conversation, now)
    return end if end is not None and end - now <= COUNTDOWN_UNDER else None


def _when(moment: datetime) -> str:
    # In the reader's zone (their profile's, browser's or workspace's; UTC outside a request).
    from app.inbox.localtime import full_datetime

    return full_datetime(moment)
