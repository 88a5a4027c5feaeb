"""Token upkeep: the daily refresh that keeps every account's 60-day token alive, and key rotation.

Meta refreshes a long-lived token only when it is at least 24 hours old and not yet expired;
a token left alone for 60 days is dead and the account must be reconnected. The daily job
refreshes each token that is old enough and expires within REFRESH_WINDOW, so a token gets
many chances (one a day for 20 days) before it could lapse, and one that does lapse anyway is
flipped to `reauth_required` rather than left to fail silently.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from app.accounts.lifecycle import MAX_ERROR_LENGTH, failure_reason, mark_reauth_required, token_invalid_reason
from app.extensions import db
from app.instagram.client import AccountNotConnected, account_token, graph_client
from app.instagram.errors import GraphError, TokenInvalidError
from app.jobs import QUEUE_LOW, RetryPolicy, enqueue
from app.models import InstagramAccount, utcnow
from app.token_crypto import TokenDecryptError, token_cipher

log = logging.getLogger(__name__)

REFRESH_MIN_AGE = timedelta(hours=24)  # Meta refuses to refresh a younger token
REFRESH_WINDOW = timedelta(days=20)
REFRESH_RETRY = RetryPolicy((60, 600, 3600))


def _holds_live_token():
    # Demo accounts hold stand-in tokens that Meta never issued: nothing to keep alive.
    return and_(
        InstagramAccount.status == "active",
        InstagramAccount.token_encrypted.is_not(None),
        InstagramAccount.is_demo.is_(False),
    )


def _expired(now: datetime):
    return and_(_holds_live_token(), InstagramAccount.token_expires_at <= now)


def _due_for_refresh(now: datetime):
    """Old enough to refresh and expiring within the window (or of unknown expiry: a pasted
    token, whose refresh tells us its expiry), and not already expired."""
    return and_(
        _holds_live_token(),
        or_(InstagramAccount.token_refreshed_at.is_(None), InstagramAccount.token_refreshed_at <= now - REFRESH_MIN_AGE),
        or_(
            InstagramAccount.token_expires_at.is_(None),
            and_(InstagramAccount.token_expires_at > now, InstagramAccount.token_expires_at <= now + REFRESH_WINDOW),
        ),
    )


def _expired_reason(account: InstagramAccount) -> str:
    return (f"The access token expired on {account.token_expires_at:%-d %b %Y} without being refreshed. "
            "Reconnect the account.")


def queue_token_refreshes() -> int:
    """Flag expired tokens, enqueue a refresh for each due one (the daily job
    app.accounts.jobs.refresh_expiring_tokens). Returns how many refreshes were enqueued.
    Idempotent: a refreshed token is not due again for 24 hours."""
    now = utcnow()
    for account in db.session.scalars(select(InstagramAccount).where(_expired(now))).all():
        mark_reauth_required(account.id, _expired_reason(account))
    db.session.commit()
    due = db.session.scalars(select(InstagramAccount.id).where(_due_for_refresh(now)).order_by(InstagramAccount.id)).all()
    for account_id in due:
        enqueue(refresh_account_token, account_id, queue=QUEUE_LOW, retry=REFRESH_RETRY)
    if due:
        log.info("token refresh enqueued for %d account(s)", len(due))
    return len(due)


# The clock queued the daily job under this name before its entry point moved to
# app.accounts.jobs; a job queued then still runs. Remove once a release has passed.
refresh_expiring_tokens = queue_token_refreshes


def refresh_account_token(account_id: int) -> bool:
    """Refresh one account's token if it is (still) due. True when a new token was stored.

    A dead token (190) flips the account to reauth_required; any other failure is recorded in
    `last_error` for the admins, and raised again when retrying can help (so RQ retries it).
    """
    now = utcnow()
    account = db.session.scalar(
        select(InstagramAccount).where(InstagramAccount.id == account_id, _due_for_refresh(now))
    )
    if account is None:
        return False  # refreshed meanwhile, disconnected, or not due: nothing to do
    try:
        token = account_token(account)
    except AccountNotConnected:
        return False
    except TokenDecryptError:
        mark_reauth_required(account.id, "The stored access token cannot be decrypted with TOKEN_ENCRYPTION_KEYS; "
                                         "restore the old key or reconnect the account.")
        db.session.commit()
        return False
    try:
        fresh = graph_client().refresh_token(token)
    except TokenInvalidError as exc:
        mark_reauth_required(account.id, token_invalid_reason("Token refresh", exc))
        db.session.commit()
        return False
    except GraphError as exc:
        account.last_error = f"Token refresh failed on {now:%-d %b %Y %H:%M} UTC. {failure_reason(exc)}"[:MAX_ERROR_LENGTH]
        db.session.commit()
        log.warning("token refresh for account %s failed: %s", account.id, exc)
        if exc.retryable:
            raise
        return False
    account.token_encrypted = token_cipher().encrypt(fresh.access_token)
    account.token_expires_at = now + timedelta(seconds=fresh.expires_in) if fresh.expires_in else None
    account.token_refreshed_at = now
    account.last_error = None
    db.session.commit()
    log.info("token refreshed for account %s", account.id)
    return True


def rotate_token_keys() -> tuple[int, list[int]]:
    """Re-encrypt every stored token under the first TOKEN_ENCRYPTION_KEYS key, so the others
    can then be removed. Returns (how many were re-encrypted, ids that no key could decrypt)."""
    cipher = token_cipher()
    rotated, undecryptable = 0, []
    accounts = db.session.scalars(
        select(InstagramAccount).where(InstagramAccount.token_encrypted.is_not(None)).order_by(InstagramAccount.id)
    ).all()
    for account in accounts:
        try:
            account.token_encrypted = cipher.rotate(account.token_encrypted)
        except TokenDecryptError:
            undecryptable.append(account.id)
            continue
        rotated += 1
    db.session.commit()
    return rotated, undecryptable
