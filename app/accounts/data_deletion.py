"""Meta's data-deletion callback: erase what the inbox holds for an Instagram account.

What is erased for the Instagram user id in the signed request (the connected business account):
- at once, in the callback's own transaction: the access token (the account is disconnected);
- in a job, in one transaction: every contact of that account, their conversations, messages,
  private notes and leads, events waiting for a message (deferred events), the raw webhook
  deliveries that name the account (they hold message text), and finally the account row
  itself (username, name, picture).
Kept: the DataDeletionRequest (confirmation code, dates, counts; the id only, to process it),
because Meta and the person may check its status page. Staff uploads are workspace files with a
short expiry of their own (purge_expired_uploads) and are not tied to an account.

The status page reports `received` until the job has committed the erasure, then `completed`.
"""
from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from app.accounts.lifecycle import forget_token
from app.extensions import db
from app.jobs import QUEUE_LOW, RetryPolicy, enqueue
from app.models import (
    Contact,
    Conversation,
    DataDeletionRequest,
    DeferredEvent,
    InstagramAccount,
    Lead,
    Message,
    Note,
    WebhookEvent,
    utcnow,
)

log = logging.getLogger(__name__)

ERASURE_RETRY = RetryPolicy((60, 600, 3600))
STALE_AFTER = timedelta(minutes=15)  # a request still open this long lost its job: run it again


def request_data_deletion(ig_user_id: str) -> DataDeletionRequest:
    """Record the request, drop the token now, and enqueue the erasure (after the commit)."""
    deletion = DataDeletionRequest(
        confirmation_code=secrets.token_urlsafe(24),  # the status page is public: unguessable
        ig_user_id=ig_user_id,
        status="received",
    )
    db.session.add(deletion)
    account = db.session.scalar(select(InstagramAccount).where(InstagramAccount.ig_user_id == ig_user_id))
    if account is not None:
        forget_token(account)
        account.status = "disconnected"
        account.last_error = "The account owner asked Meta to delete this account's data; it is being erased."
    db.session.commit()
    log.info("data deletion request %s received (account %s)", deletion.id, account.id if account else "unknown")
    enqueue(erase_instagram_user_data, deletion.id, queue=QUEUE_LOW, retry=ERASURE_RETRY)
    return deletion


def _names_account(ig_account_ids: str | None, ig_user_id: str) -> bool:
    return ig_user_id in re.findall(r"[0-9A-Za-z_-]+", ig_account_ids or "")


def erase_instagram_user_data(request_id: int) -> bool:
    """The erasure job (idempotent): returns True when it completed the request now."""
    deletion = db.session.get(DataDeletionRequest, request_id)
    if deletion is None or deletion.status == "completed":
        return False
    ig_user_id = deletion.ig_user_id
    counts = {"accounts": 0, "contacts": 0, "conversations": 0, "messages": 0, "leads": 0, "webhook deliveries": 0}
    account = db.session.scalar(select(InstagramAccount).where(InstagramAccount.ig_user_id == ig_user_id))
    if account is not None:
        contact_ids = select(Contact.id).where(Contact.account_id == account.id)
        conversation_ids = select(Conversation.id).where(Conversation.account_id == account.id)
        # Children first, explicitly: the erasure must not depend on ON DELETE CASCADE being present.
        counts["leads"] = _delete(delete(Lead).where(Lead.contact_id.in_(contact_ids)))
        _delete(delete(Note).where(Note.conversation_id.in_(conversation_ids)))
        counts["messages"] = _delete(delete(Message).where(Message.account_id == account.id))
        _delete(delete(DeferredEvent).where(DeferredEvent.account_id == account.id))
        counts["conversations"] = _delete(delete(Conversation).where(Conversation.account_id == account.id))
        counts["contacts"] = _delete(delete(Contact).where(Contact.account_id == account.id))
        counts["accounts"] = _delete(delete(InstagramAccount).where(InstagramAccount.id == account.id))
    # Raw deliveries hold message text; a LIKE narrows them down, the exact id check decides.
    candidates = db.session.execute(
        select(WebhookEvent.id, WebhookEvent.ig_account_ids)
        .where(WebhookEvent.ig_account_ids.contains(ig_user_id, autoescape=True))
    ).all()
    event_ids = [row.id for row in candidates if _names_account(row.ig_account_ids, ig_user_id)]
    if event_ids:
        counts["webhook deliveries"] = _delete(delete(WebhookEvent).where(WebhookEvent.id.in_(event_ids)))
    deletion.status = "completed"
    deletion.completed_at = utcnow()
    erased = ", ".join(f"{what}: {n}" for what, n in counts.items() if n)
    deletion.summary = f"Erased {erased}." if erased else "No data was held for this Instagram account."
    db.session.commit()
    log.info("data deletion request %s completed: %s", deletion.id, deletion.summary)
    return True


def _delete(statement) -> int:
    return db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount or 0


def requeue_lost_erasures() -> int:
    """Enqueue again every erasure whose job was lost (Redis down, worker killed); the hourly job
    app.accounts.jobs.resume_pending_deletions. Returns how many were enqueued."""
    cutoff = utcnow() - STALE_AFTER
    ids = db.session.scalars(
        select(DataDeletionRequest.id).where(
            DataDeletionRequest.status != "completed", DataDeletionRequest.created_at <= cutoff
        )
    ).all()
    for request_id in ids:
        enqueue(erase_instagram_user_data, request_id, queue=QUEUE_LOW, retry=ERASURE_RETRY)
    return len(ids)


# The clock queued the hourly job under this name before its entry point moved to
# app.accounts.jobs; a job queued then still runs. Remove once a release has passed.
resume_pending_deletions = requeue_lost_erasures
