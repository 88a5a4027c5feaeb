"""Which accounts an admin must act on, for the banner under the top bar of every page.

No account may silently stop working: a dead token, a missing webhook subscription, or a token
about to expire while its refresh keeps failing all show up here until an admin fixes them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_login import current_user
from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import InstagramAccount, utcnow

EXPIRY_WARNING = timedelta(days=7)  # the daily refresh starts 20 days ahead; 7 left means it keeps failing


@dataclass(frozen=True)
class AttentionItem:
    account: InstagramAccount
    kind: str  # "reauth_required" | "not_subscribed" | "expiring"


def accounts_needing_attention() -> list[AttentionItem]:
    """The current admin's workspace accounts that need an admin; empty for agents."""
    if not current_user or not current_user.is_authenticated or not current_user.is_admin:
        return []
    now = utcnow()
    active = InstagramAccount.status == "active"
    accounts = db.session.scalars(
        select(InstagramAccount)
        .where(
            InstagramAccount.workspace_id == current_user.workspace_id,
            or_(
                InstagramAccount.status == "reauth_required",
                and_(active, InstagramAccount.webhook_subscribed.is_(False)),
                and_(active, InstagramAccount.token_expires_at <= now + EXPIRY_WARNING),
            ),
        )
        .order_by(InstagramAccount.id)
    ).all()
    items = []
    for account in accounts:
        if account.status == "reauth_required":
            kind = "reauth_required"
        elif account.token_expires_at is not None and account.token_expires_at <= now + EXPIRY_WARNING:
            kind = "expiring"
        else:
            kind = "not_subscribed"
        items.append(AttentionItem(account, kind))
    return items

