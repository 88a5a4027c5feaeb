"""JSON shapes of the API (docs/CONTRACT.md): one function per resource."""
from __future__ import annotations

from app.models import InstagramAccount
from app.templating import iso


def account_json(account: InstagramAccount) -> dict:
    # Never a token, not even encrypted.
    return {
        "id": account.id,
        "ig_user_id": account.ig_user_id,
        "username": account.username,
        "name": account.name,
        "profile_picture_url": account.profile_picture_url,
        "status": account.status,
        "token_expires_at": iso(account.token_expires_at) or None,
        "webhook_subscribed": account.webhook_subscribed,
        "last_webhook_at": iso(account.last_webhook_at) or None,
        "last_error": account.last_error,
    }
