"""Email alerts: one mail per person who is away, batching every alert that waits for them.

A notification of a mailed type (kinds.EMAIL_TYPES: assignments, mentions, accounts needing
attention) is written with `email_pending` when MAIL_URL is set and the person's channels include
EMAIL (app.notifications.create). Every minute the job `send_email_alerts` (app.notifications.jobs)
mails each person who has pending alerts older than their workspace's
`alert_email_after_minutes` and has not been in the app for that long either
(`users.last_seen_at`, app.auth.activity): one mail, "3 alerts in Shop's inbox", one paragraph
and link per alert, no customer text when the person turned previews off, and one unsubscribe
link per type in it (app.notifications.unsubscribe), plus RFC 8058's List-Unsubscribe headers.

Exactly once, with any number of clocks and workers: a person's alerts are claimed by one
`UPDATE ... SET email_pending = false WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`
whose transaction stays open while the mail is sent and commits only after the SMTP server took
it; a failed send rolls back, so the alerts are pending again and the next minute tries again.
A second run meanwhile skips the locked rows instead of waiting for them. (SQLite has no row
locks; its single writer serialises the claims instead.) The one window left is a database that
fails between the SMTP server's answer and the commit: then the mail goes again, once.

Nothing stays pending for ever: each run first clears, without mail, alerts that were read in the
app, alerts of people who were deactivated, and alerts older than STALE_AFTER (their person was
in the app all along, or mail has been down for days: either way the mail is no news). An alert
whose type the person has since stopped mailing (Settings or an unsubscribe link) is cleared
without mail when it is claimed."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.mail import mail_enabled, send_mail
from app.models import Contact, Conversation, InstagramAccount, Notification, User, Workspace, utcnow
from app.notifications.create import preferences
from app.notifications.kinds import EMAIL
from app.notifications.unsubscribe import TYPE_NOUNS, unsubscribe_token
from app.urls import public_url_for

log = logging.getLogger(__name__)

# Longer than the longest delay a workspace can choose (1440 minutes), so every alert gets its chance.
STALE_AFTER = timedelta(days=2)
# A mail lists at most this many alerts (the newest); the rest are counted and are in the bell.
MAIL_MAX_ALERTS = 50
# What Settings → Workspace accepts for alert_email_after_minutes: a minute to a day.
ALERT_DELAY_MINUTES = range(1, 1441)


class AlertMailFailed(RuntimeError):
    """Some alert mails could not be sent; their alerts stay pending for the next run."""


@dataclass
class AlertRun:
    mailed: int = 0     # people mailed
    alerts: int = 0     # alerts in those mails
    dropped: int = 0    # alerts cleared without mail (read, stale, unsubscribed, deactivated)
    failed: int = 0     # people whose mail failed


def send_email_alerts(now: datetime | None = None) -> AlertRun:
    """One run of the job: clear what will never be mailed, then mail each person who is due.
    Raises AlertMailFailed after the run when a send failed, so the failure is seen (the failed
    job registry, the inline clock's log) while everyone else's mail still went."""
    now = now or utcnow()
    run = AlertRun(dropped=_drop_unmailable(now))
    if not mail_enabled():
        return run
    for user_id in _people_due(now):
        try:
            mailed, dropped = _mail_person(user_id)
        except Exception:
            db.session.rollback()
            log.exception("alert mail to user %s failed; its alerts stay pending", user_id)
            run.failed += 1
            continue
        run.dropped += dropped
        if mailed:
            run.mailed += 1
            run.alerts += mailed
    if run.failed:
        raise AlertMailFailed(f"{run.failed} alert mail(s) failed; their alerts stay pending for the next run")
    return run


def _drop_unmailable(now: datetime) -> int:
    """Clear email_pending, without mail, on alerts that were read, whose person was deactivated,
    or that are older than STALE_AFTER. Rows another run holds are skipped, never waited for."""
    inactive = select(User.id).where(User.active.is_(False))
    doomed = (select(Notification.id)
              .where(Notification.email_pending,
                     or_(Notification.read_at.is_not(None), Notification.created_at < now - STALE_AFTER,
                         Notification.user_id.in_(inactive)))
              .with_for_update(skip_locked=True))
    count = db.session.execute(
        update(Notification).where(Notification.id.in_(doomed)).values(email_pending=False)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if count:
        log.info("%d alert(s) cleared without mail (read, stale or deactivated)", count)
    return count


def _people_due(now: datetime) -> list[int]:
    """People with pending alerts older than their workspace's delay, who have not been in the
    app for that long either. Read from the pending part of the table only (its partial index);
    the delay differs per workspace, so the comparison is made here rather than in SQL date
    arithmetic, which PostgreSQL and SQLite spell differently."""
    rows = db.session.execute(
        select(Notification.user_id, db.func.min(Notification.created_at), User.last_seen_at,
               Workspace.alert_email_after_minutes)
        .join(User, User.id == Notification.user_id)
        .join(Workspace, Workspace.id == User.workspace_id)
        .where(Notification.email_pending, Notification.read_at.is_(None))
        .group_by(Notification.user_id, User.last_seen_at, Workspace.alert_email_after_minutes)
        .order_by(Notification.user_id)
    ).all()
    db.session.commit()  # each claim starts a transaction of its own (SQLite: as a writer)
    due = []
    for user_id, oldest, last_seen, minutes in rows:
        cutoff = now - timedelta(minutes=minutes)
        if oldest <= cutoff and (last_seen is None or last_seen < cutoff):
            due.append(user_id)
    return due


@dataclass(frozen=True)
class AlertLine:
    """One alert as the mail tells it."""

    id: int
    type: str
    text: str
    conversation_id: int | None
    contact: str | None
    actor: str | None
    account: str | None


def _mail_person(user_id: int) -> tuple[int, int]:
    """Claim the person's pending unread alerts and mail them, in one transaction that commits
    only after the send. Returns (alerts mailed, alerts cleared without mail)."""
    claimable = (select(Notification.id)
                 .where(Notification.user_id == user_id, Notification.email_pending,
                        Notification.read_at.is_(None))
                 .with_for_update(skip_locked=True))
    claimed = db.session.execute(
        update(Notification).where(Notification.id.in_(claimable)).values(email_pending=False)
        .returning(Notification.id, Notification.type)
        .execution_options(synchronize_session=False)).all()
    if not claimed:
        db.session.commit()  # another run holds them, or they were read meanwhile
        return 0, 0
    user = db.session.get(User, user_id)
    # The person's choice now, not when the alert was written: an unsubscribe stops what waits too.
    mailed_types = {type_ for type_ in {row.type for row in claimed}
                    if preferences([user_id], type_)[user_id] & EMAIL}
    ids = [row.id for row in claimed if row.type in mailed_types]
    if not ids or not user.active:
        db.session.commit()
        return 0, len(claimed)
    lines = _lines(ids)
    subject, body, headers = compose(user, lines)
    send_mail(user.email, subject, body, headers=headers)  # raises: the caller rolls the claim back
    db.session.commit()
    return len(ids), len(claimed) - len(ids)


def _lines(ids: list[int]) -> list[AlertLine]:
    actor = aliased(User)
    rows = db.session.execute(
        select(Notification.id, Notification.type, Notification.text, Notification.conversation_id, Contact, actor.name, actor.email, InstagramAccount.username)
        .outerjoin(Conversation, Conversation.id == Notification.conversation_id)
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(InstagramAccount, InstagramAccount.id == Notification.account_id)
        .where(Notification.id.in_(ids))
        .order_by(Notification.id.desc())
    ).all()
    return [AlertLine(id=r.id, type=r.type, text=r.text or "",
                      conversation_id=r.conversation_id,
                      contact=r.Contact.display_name if r.Contact is not None else None,
                      actor=r.name or (r.email.split("@", 1)[0] if r.email else None),
                      account=r.username)
            for r in rows]


def compose(user: User, lines: list[AlertLine]) -> tuple[str, str, dict[str, str]]:
    """The mail for `lines` (newest first): subject, plain-text body, and the headers of RFC 2369
    and RFC 8058 (List-Unsubscribe, one-click) for every type in it."""
    workspace = _one_line(user.workspace.name)
    count = len(lines)
    subject = f"{count} alert{'s' if count != 1 else ''} in {workspace}’s inbox"
    types = sorted({line.type for line in lines})
    shown = lines[:MAIL_MAX_ALERTS]
    minutes = user.workspace.alert_email_after_minutes
    parts = [f"Hello {user.display_name},", "",
             f"While you were away, {'this was' if count == 1 else 'these were'} addressed to you "
             f"in {workspace}’s inbox:", ""]
    for line in shown:
        parts.append(f"• {_headline(line)}")
        if user.notification_previews and line.text:
            # The customer's or a teammate's words: only when the person allows previews.
            parts.append(f"  “{_one_line(line.text)}”")
        parts.append(f"  {_link(line)}")
        parts.append("")
    if count > len(shown):
        parts += [f"…and {count - len(shown)} more in the app.", ""]
    parts += [f"Open the inbox: {public_url_for('inbox.index')}", "",
              "--",
              f"You get this mail because these alerts waited {minutes} minute{'s' if minutes != 1 else ''} "
              "while you were not in the app.", ""]
    for type_ in types:
        parts.append(f"Stop emails about {TYPE_NOUNS[type_]}: {_unsubscribe_url(user.id, [type_])}")
    parts.append(f"Choose how you are alerted: {public_url_for('notifications.preferences_page')}")
    headers = {
        "List-Unsubscribe": f"<{_unsubscribe_url(user.id, types)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # An automatic mail (RFC 3834): no out-of-office answers to it.
        "Auto-Submitted": "auto-generated",
    }
    return subject, "\n".join(parts) + "\n", headers


def _headline(line: AlertLine) -> str:
    who = line.actor or "Someone"
    about = line.contact or "a conversation"
    if line.type == "assigned":
        return f"{who} assigned you the conversation with {about}"
    if line.type == "mention":
        return f"{who} mentioned you in a note on the conversation with {about}"
    if line.type == "account_attention":
        return f"The Instagram account @{line.account} needs attention" if line.account else \
            "An Instagram account needs attention"
    return "New alert"


def _link(line: AlertLine) -> str:
    if line.conversation_id is not None:
        return public_url_for("inbox.conversation", conversation_id=line.conversation_id)
    if line.type == "account_attention":
        return public_url_for("accounts.index")
    return public_url_for("inbox.index")


def _unsubscribe_url(user_id: int, types: list[str]) -> str:
    return public_url_for("unsubscribe.confirm", token=unsubscribe_token(user_id, types))


def _one_line(value: str) -> str:
    """Text for a header or a single line: control characters (a newline would end a header) become spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
