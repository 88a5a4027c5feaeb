"""Ingestion's background jobs: the customer's profile lookup, and the sweep that redoes whatever a
lost enqueue or a dropped database connection left undone."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from app.accounts.lifecycle import can_call_meta, mark_reauth_required
from app.autocommit import run_alone
from app.automation.jobs import sweep_lost_automation
from app.extensions import db
from app.instagram.client import AccountCredentials, account_token, graph_client
from app.instagram.errors import GraphError, RateLimitedError, TokenInvalidError, TransientError
from app.models import Contact, Conversation, DeferredEvent, InstagramAccount, utcnow
from app.webhooks import followups
from app.webhooks.apply import PROFILE_STALE_AFTER, apply_waiting
from app.webhooks.ingest import note_expired, replay, replayable_ids

log = logging.getLogger(__name__)

SWEEP_GRACE = timedelta(minutes=2)  # younger work may still be on its way through the queue
PROFILE_GIVE_UP_AFTER = timedelta(days=1)  # the sweep stops retrying a profile that keeps failing
DEFERRED_KEEP = timedelta(days=7)  # a message that has not arrived in a week never will
SWEEP_BATCH = 200
# Instagram-scoped ids are decimal digits. The lookup puts the id in the URL path, where `..`
# would still reach another endpoint of the Graph API with the account's token (review I-8).
_IGSID = re.compile(r"[0-9]{1,64}")


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else None


def fetch_contact_profile(contact_id: int) -> None:
    """Fill in a customer's name, username and picture from Meta. Idempotent: a profile fetched
    within the last week is left alone. A failure never touches the contact's messages or lead.

    One read and one write of plain columns, built once: the lookup runs for every new customer,
    where loading and flushing ORM objects cost more than the statements (bench/bench_worker.py)."""
    # Each statement its own transaction (app.autocommit): nothing stays open during the Graph call.
    rows = run_alone(_profile_statements().read, {"profile_of": contact_id}).rows
    if not rows:
        return
    row = rows[0]
    if row.profile_fetched_at is not None and row.profile_fetched_at > utcnow() - PROFILE_STALE_AFTER:
        return
    if not _IGSID.fullmatch(row.igsid or ""):
        _note_profile_error(contact_id, "The customer's id is not an Instagram-scoped id (digits); "
                                        "the profile was not looked up.")
        return
    account = AccountCredentials(row.account_id, row.username, row.status, row.token_encrypted, row.ig_user_id)
    if not can_call_meta(account):
        return  # no usable token now; the sweep fetches it once the account is reconnected
    token = account_token(account)
    try:
        profile = graph_client().get_profile(token, row.igsid)
    except TokenInvalidError:
        mark_reauth_required(account.id, "Instagram rejected the access token while looking up a customer's profile.")
        db.session.commit()
        return
    except (TransientError, RateLimitedError):
        raise  # RQ retries with backoff; the sweep picks up what is left
    except GraphError as exc:
        _note_profile_error(contact_id, f"{type(exc).__name__}: {exc.user_message}"[:500])
        log.info("profile of contact %s not available: %s", contact_id, type(exc).__name__)
        return
    statements = _profile_statements()
    params = {
        "profile_of": contact_id,
        "profile_account": row.account_id,  # with the contact, the conversations' unique index
        "new_name": _text(profile.get("name"), 255),
        "new_username": _text(profile.get("username"), 120),
        "new_pic": _text(profile.get("profile_pic"), 4000),
        "new_followers": _count(profile.get("follower_count")),
        "new_verified": _flag(profile.get("is_verified_user")),
        "new_follows_us": _flag(profile.get("is_user_follow_business")),
        "new_we_follow": _flag(profile.get("is_business_follow_user")),
        "now": utcnow(),
    }
    # Open inboxes redraw a row when its conversation's updated_at moves (app.inbox.live): without
    # the bump a new customer stayed "Instagram user" there until something else changed. One
    # statement on PostgreSQL (the contact's UPDATE in a CTE); two transactions on SQLite.
    if db.engine.dialect.name == "postgresql":
        run_alone(statements.write_and_touch, params)
    else:
        run_alone(statements.write, params)
        run_alone(statements.touch, params)


def _note_profile_error(contact_id: int, reason: str) -> None:
    db.session.execute(update(Contact).where(Contact.id == contact_id).values(profile_error=reason)
                       .execution_options(synchronize_session=False))
    db.session.commit()


@cache
def _profile_statements() -> SimpleNamespace:
    contacts, accounts = Contact.__table__, InstagramAccount.__table__
    read = (select(contacts.c.igsid, contacts.c.profile_fetched_at, accounts.c.id.label("account_id"),
                   accounts.c.username, accounts.c.status, accounts.c.token_encrypted, accounts.c.ig_user_id)
            .select_from(contacts.join(accounts, accounts.c.id == contacts.c.account_id))
            .where(contacts.c.id == bindparam("profile_of")))
    write = (update(contacts).where(contacts.c.id == bindparam("profile_of"))
             .values(name=bindparam("new_name"), username=bindparam("new_username"),
                     profile_pic_url=bindparam("new_pic"), follower_count=bindparam("new_followers"),
                     is_verified_user=bindparam("new_verified"), is_user_follow_business=bindparam("new_follows_us"),
                     is_business_follow_user=bindparam("new_we_follow"), profile_fetched_at=bindparam("now"),
                     profile_error=None))
    conversations = Conversation.__table__
    written = write.returning(contacts.c.id).cte("written")
    write_and_touch = (update(conversations).where(conversations.c.account_id == bindparam("profile_account"),
                                                   conversations.c.contact_id.in_(select(written.c.id)))
                       .values(updated_at=bindparam("now")).add_cte(written))
    touch = (update(conversations).where(conversations.c.account_id == bindparam("profile_account"),
                                         conversations.c.contact_id == bindparam("profile_of"))
             .values(updated_at=bindparam("now")))
    return SimpleNamespace(read=read, write=write, write_and_touch=write_and_touch, touch=touch)


def sweep_ingest(now: datetime | None = None) -> dict[str, int]:
    """Every minute (app.jobs.schedule): redo what a lost enqueue or a lost connection left undone.

    - deliveries still `received` after the grace period are applied (and their follow-ups queued);
    - contacts whose profile was never fetched (nor refused) get the lookup queued again;
    - new customer messages and comments whose automation job was lost get it queued again;
    - events that waited for a message that has since arrived by another path are applied;
    - events still waiting for a message after a week are dropped, each noted on the warnings of
      the delivery that brought it (its log row), so none expires silently.
    Safe to run twice at once: every step is idempotent."""
    now = now or utcnow()
    cutoff = now - SWEEP_GRACE
    done = {"deliveries": 0, "profiles": 0, "automation": 0, "waiting_applied": 0, "waiting_dropped": 0}

    for event_id in replayable_ids(("received",), older_than=cutoff, limit=SWEEP_BATCH):
        if replay(event_id) is not None:  # which queues the delivery's follow-ups too
            done["deliveries"] += 1

    contact_ids = list(db.session.scalars(
        select(Contact.id).join(InstagramAccount, InstagramAccount.id == Contact.account_id)
        .where(InstagramAccount.status == "active", Contact.profile_fetched_at.is_(None),
               Contact.profile_error.is_(None), Contact.created_at < cutoff,
               Contact.created_at > now - PROFILE_GIVE_UP_AFTER)
        .order_by(Contact.id).limit(SWEEP_BATCH)
    ))
    db.session.commit()
    for contact_id in contact_ids:
        followups.enqueue_profile_fetch(contact_id)
    done["profiles"] = len(contact_ids)
    done["automation"] = sweep_lost_automation(now)

    done["waiting_applied"] = apply_waiting(now=now, limit=SWEEP_BATCH)
    db.session.commit()
    expired = db.session.execute(
        select(DeferredEvent.id, DeferredEvent.webhook_event_id, DeferredEvent.kind, DeferredEvent.mid,
               DeferredEvent.created_at)
        .where(DeferredEvent.created_at < now - DEFERRED_KEEP).order_by(DeferredEvent.id).limit(SWEEP_BATCH)
    ).all()
    if expired:
        note_expired(expired, now)
        dropped = db.session.execute(delete(DeferredEvent).where(DeferredEvent.id.in_([row.id for row in expired])))
        done["waiting_dropped"] = dropped.rowcount or 0
    db.session.commit()
    if any(done.values()):
        log.info("ingest sweep: %s", done)
    return done
