"""Account state transitions shared by every part of the app that talks to Meta.

An error 190 anywhere (send, profile lookup, token refresh) means the token is dead: the account
becomes `reauth_required` and admins see a Reconnect banner, while inbound webhooks for it keep
being applied (they need no token).
"""
from __future__ import annotations

import logging

from sqlalchemy import update

from app.extensions import db
from app.models import InstagramAccount, utcnow

log = logging.getLogger(__name__)


def mark_reauth_required(account_id: int, reason: str) -> None:
    """Flip the account to reauth_required in its own statement, committed by the caller's
    transaction. `reason` is a readable sentence for admins and must never contain a token."""
    db.session.execute(
        update(InstagramAccount)
        .where(InstagramAccount.id == account_id, InstagramAccount.status != "disconnected")
        .values(status="reauth_required", last_error=reason[:500], updated_at=utcnow())
    )
    log.warning("account %s needs reauthorization", account_id)
