"""Who else has this conversation open, and who is typing in it: so that two reps do not answer
the same customer at once without knowing it (a customer getting two different prices from two
people is worse than a slow answer).

An open thread says "still here" every HEARTBEAT through POST /conversations/<id>/viewing
(static/js/viewers.js), with `typing=reply` or `typing=note` when its box was typed in since the
last time (sent at once when typing starts), `typing=stopped` once the text was sent, and
`leaving=1` when the thread closes, the tab is hidden or goes. The answer is the line above the
box naming the others (templates/inbox/_viewers.html), so one request both tells and asks; a
screen reader is told when the people change (`present`), not each time typing starts or stops.
While a reply is typed, the customer is shown "typing…" on Instagram as well (at most every 15 s;
app.outbound.jobs.typing_due says when it may be), never for a private note.

One row per person and conversation (app.models.ConversationViewer). It is not deleted on every
silence: a row counts only while its heartbeat is fresh (VIEWING_FOR, typing TYPING_FOR), so a
tab that died without saying goodbye (a phone put away, a lost network) drops out by itself, and
the clock prunes rows left behind (`prune`).

Why the database and not Redis: the app runs without Redis too (inline jobs, the README's first
command), and the rows are few and small (one per open thread), written once per heartbeat by a
one-row UPDATE on the primary key. Only active members of the conversation's workspace are named."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import abort, request
from flask_login import current_user, login_required
from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.htmx_responses import empty_fragment, render_fragment
from app.inbox import bp
from app.models import Conversation, ConversationViewer, User, utcnow
from app.outbound.jobs import typing_due
from app.outbound.replies import queue_typing
from app.scoping import get_or_404

HEARTBEAT = timedelta(seconds=5)      # how often an open thread says it is still open
VIEWING_FOR = timedelta(seconds=16)   # three heartbeats missed: the tab is gone
TYPING_FOR = timedelta(seconds=8)     # typing is sent at most every 3 s while keys are pressed
TYPING_NOTICE_EVERY = timedelta(seconds=15)  # the customer's "typing…" lasts about 20 s on Instagram
KEPT = timedelta(hours=1)             # rows older than this are pruned by the clock
TYPING_KINDS = ("reply", "note")
NAMED_AT_MOST = 3                     # "Ana, Sam, Lee and 2 others"


@dataclass(frozen=True)
class Viewer:
    user: User
    typing: str | None  # "reply", "note", or None: only viewing


class Beat(NamedTuple):
    found: bool   # False: the conversation is gone (deleted meanwhile)
    notice: bool  # the customer is to be shown "typing…" now (claimed for this person)


def here(conversation: Conversation, user: User, typing: str | None = None, now: datetime | None = None,
         notice_due: bool = False) -> Beat:
    """`user` has the conversation open; `typing` is "reply" or "note" when they typed in its box
    since the last heartbeat, "stopped" once they sent it (or emptied the box), else None.

    With `notice_due` (a reply is typed and the customer may see "typing…": typing_due), the same
    statement claims the customer's notice: at most once per TYPING_NOTICE_EVERY per person and
    conversation, so two tabs, or two web processes, do not both send it. One UPDATE and one commit
    where there were two of each, every 3 s while someone types."""
    now = now or utcnow()
    values: dict = {"seen_at": now}
    if typing in TYPING_KINDS:
        values.update(typing_at=now, typing=typing)
    elif typing == "stopped":
        values.update(typing_at=None, typing=None)
    if notice_due:
        told = ConversationViewer.typing_told_at
        values["typing_told_at"] = case((or_(told.is_(None), told <= now - TYPING_NOTICE_EVERY), now), else_=told)
    # The ids, not the objects: after a rollback below, reading an attribute would reload the row.
    conversation_id, user_id = conversation.id, user.id
    mine = (update(ConversationViewer).where(ConversationViewer.conversation_id == conversation_id,
                                             ConversationViewer.user_id == user_id)
            .values(**values).returning(ConversationViewer.typing_told_at))
    row = db.session.execute(mine).first()
    if row is not None:
        db.session.commit()
        return Beat(True, notice_due and row.typing_told_at == now)
    # Opened just now.
    db.session.add(ConversationViewer(conversation_id=conversation_id, user_id=user_id, seen_at=now,
                                      typing_at=values.get("typing_at"), typing=values.get("typing"),
                                      typing_told_at=now if notice_due else None))
    try:
        db.session.commit()
        return Beat(True, notice_due)
    except IntegrityError:
        # Another tab of theirs inserted the row a moment ago (this heartbeat updates it), or the
        # conversation was deleted meanwhile (there is no row to update).
        db.session.rollback()
        row = db.session.execute(mine).first()
        db.session.commit()
        return Beat(row is not None, row is not None and notice_due and row.typing_told_at == now)


def leave(conversation: Conversation, user: User) -> None:
    db.session.execute(delete(ConversationViewer).where(ConversationViewer.conversation_id == conversation.id,
                                                        ConversationViewer.user_id == user.id))
    db.session.commit()


def others(conversation_id: int, workspace_id: int, user_id: int, now: datetime | None = None) -> list[Viewer]:
    """The other active members of the workspace with the conversation open, typists first. Ids,
    not rows: after the heartbeat's commit, reading a row's attribute would load it again."""
    now = now or utcnow()
    rows = db.session.execute(
        select(User, ConversationViewer.typing, ConversationViewer.typing_at)
        .join(ConversationViewer, ConversationViewer.user_id == User.id)
        .where(ConversationViewer.conversation_id == conversation_id, ConversationViewer.user_id != user_id,
               ConversationViewer.seen_at > now - VIEWING_FOR,
               User.workspace_id == workspace_id, User.active.is_(True))
        .order_by(User.name, User.email)).all()
    viewers = [Viewer(row.User, row.typing if row.typing_at and row.typing_at > now - TYPING_FOR else None)
               for row in rows]
    return sorted(viewers, key=lambda viewer: viewer.typing is None)  # stable: names stay in order


def summary(viewers: list[Viewer]) -> list[str]:
    """The sentences above the box: who is typing what, then who else is only looking."""
    lines = [f"{viewer.user.display_name} is "
             + ("writing a private note…" if viewer.typing == "note" else "typing a reply…")
             for viewer in viewers if viewer.typing]
    looking = [viewer.user.display_name for viewer in viewers if not viewer.typing]
    if looking:
        lines.append(f"{_names(looking)} {'is' if len(looking) == 1 else 'are'} also viewing this conversation.")
    return lines


def present(viewers: list[Viewer]) -> str:
    """Who is here, typing or not, for screen readers: said when it changes (not at each keystroke
    of a teammate, which would talk over someone writing their own reply)."""
    return f"Also in this conversation: {_names([viewer.user.display_name for viewer in viewers])}." if viewers else ""


def _names(names: list[str]) -> str:
    if len(names) > NAMED_AT_MOST:
        rest = len(names) - (NAMED_AT_MOST - 1)
        names = [*names[:NAMED_AT_MOST - 1], f"{rest} others"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def prune(now: datetime | None = None) -> int:
    """Delete rows whose tab stopped saying anything long ago (the clock, app.jobs.upkeep)."""
    now = now or utcnow()
    gone = db.session.execute(delete(ConversationViewer).where(ConversationViewer.seen_at < now - KEPT)).rowcount
    db.session.commit()
    return gone


@bp.post("/conversations/<int:conversation_id>/viewing")
@login_required
def viewing(conversation_id: int):
    """The open thread's heartbeat (form fields `typing`, `leaving`; CSRF as a header or a field,
    since a page going away sends it with navigator.sendBeacon). Answers the line naming the others
    (empty when nobody else is here), 204 for `leaving`, 400 for a `typing` it does not know, 404
    for a conversation outside the workspace."""
    conversation = get_or_404(Conversation, conversation_id)
    if request.form.get("leaving") == "1":
        leave(conversation, current_user)
        return empty_fragment(204)
    typing = request.form.get("typing") or None
    if typing not in (None, "stopped", *TYPING_KINDS):
        abort(400, description="typing must be reply, note or stopped.")
    asking = (conversation.id, conversation.workspace_id, current_user.id)  # before here()'s commit
    # The customer sees "typing…" too while a reply (never a private note) is written.
    beat = here(conversation, current_user, typing, notice_due=typing == "reply" and typing_due(conversation))
    if not beat.found:
        abort(404)
    if beat.notice:
        queue_typing(asking[0])
    viewers = others(*asking)
    return render_fragment("inbox/_viewers.html", viewers=viewers, lines=summary(viewers), present=present(viewers))
