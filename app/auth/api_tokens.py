"""API bearer tokens: shown once when created, stored as SHA-256, revocable."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User, utcnow

TOKEN_PREFIX = "igi_"
# last_used_at is written at most this often, so API reads do not each write to the database.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the row and the plaintext (never stored)."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_digest(plaintext), prefix=plaintext[:10])
    db.session.add(row)
    return row, plaintext


def user_for_token(plaintext: str) -> User | None:
    """The active user owning a live token, recording its use (to the minute); None for anything else."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plaintext)))
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    return row.user


def bearer_token(authorization_header: str | None) -> str | None:
    if not authorization_header:
        return None
    scheme, _, value = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
