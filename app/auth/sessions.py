"""Sign-in sessions the server can end.

Flask-Login keeps `user.get_id()` in the signed session cookie and, for "Keep me signed in", in the
remember cookie. Both are client-side, so on their own nothing on the server could revoke them
(SECURITY_REVIEW F-02). The id is therefore `<user id>:<session generation>:<issued at>:<nonce>`:
- "Sign out" ends this sign-in only: its `<issued at>:<nonce>` is kept (SignedOutSession) and a
  cookie carrying it fails on its next request, while the person's other devices stay signed in
  (a rep leaving the shop's tablet must not lose her laptop's reply in progress);
- "Sign out everywhere", a password change and deactivation bump `users.session_generation` (or
  clear `active`), and every cookie carrying the old generation fails on its next request;
- a cookie issued longer ago than `SESSION_MAX_AGE` is refused, whatever the browser kept: the
  remember cookie's expiry is enforced here, not only by the browser.
"""
from __future__ import annotations

import secrets
import time
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_login import login_user
from sqlalchemy import bindparam, select

from app.extensions import db
from app.inserts import insert_rows
from app.inbox.localtime import forget_zone
from app.models import SignedOutSession, utcnow
from app.scoping import valid_id

# Set on a User loaded from a cookie (and at sign-in), so get_id() repeats that session's id.
_ISSUED = "_session_issued_at"
_NONCE = "_session_nonce"
NONCE_MAX = 32


def session_id(user) -> str:
    issued = getattr(user, _ISSUED, None) or int(time.time())
    nonce = getattr(user, _NONCE, None)
    base = f"{user.id}:{user.session_generation or 0}:{issued}"
    # Cookies issued before the nonce have three parts; they are honoured until they expire.
    return f"{base}:{nonce}" if nonce else base


def _session_key(issued: int, nonce: str | None) -> str:
    """What tells one sign-in from the person's others (two in the same second, by the nonce)."""
    return f"{issued}:{nonce or ''}"


@cache
def _user_by_id():
    # Every signed-in request loads its user, the live poll every 2 s per tab: a statement built
    # once cost 0.11 ms where Session.get, which builds its own each time, cost 0.19 ms (SQLite,
    # in process). A served request's session starts empty, so Session.get's identity-map lookup
    # would find nothing to save a query with (tests that keep one session across requests do).
    from app.models import User

    signed_out = (select(SignedOutSession.user_id)
                  .where(SignedOutSession.user_id == User.id, SignedOutSession.session_key == bindparam("key"))
                  .exists())
    return select(User, signed_out).where(User.id == bindparam("user_id"))


def load_user(raw: str):
    """Flask-Login's user loader: the user the cookie names, if that cookie is still honoured."""
    parts = str(raw).split(":")
    nonce = parts.pop() if len(parts) == 4 else None
    try:
        user_id, generation, issued = (int(part) for part in parts)
    except ValueError:
        return None  # an id of the old "<user id>" form, or garbage: sign in again
    if valid_id(user_id) is None:
        return None
    age = time.time() - issued
    if age > current_app.config["SESSION_MAX_AGE"].total_seconds() or age < -300:
        return None
    if nonce is not None and not (0 < len(nonce) <= NONCE_MAX and nonce.isascii() and nonce.isalnum()):
        return None
    row = db.session.execute(_user_by_id(), {"user_id": user_id, "key": _session_key(issued, nonce)}).one_or_none()
    if row is None:
        return None
    user, signed_out = row
    if signed_out or not user.is_active or user.session_generation != generation:
        return None
    setattr(user, _ISSUED, issued)
    setattr(user, _NONCE, nonce)
    return user


def sign_in(user, remember: bool) -> None:
    """A fresh session (and, when asked, a remember cookie) issued now, and the person seen now
    (the team page's "last seen": joining from an invite or a password link signs in too)."""
    user.last_login_at = utcnow()
    db.session.commit()
    setattr(user, _ISSUED, int(time.time()))
    setattr(user, _NONCE, secrets.token_hex(8))
    login_user(user, remember=remember, duration=current_app.config["SESSION_MAX_AGE"])
    forget_zone()


def end_this_session(user) -> None:
    """The session this request came with stops working (with its remember cookie, which carries
    the same id); the person's other devices stay signed in. The caller commits."""
    issued = getattr(user, _ISSUED, None)
    if issued is None:
        end_all_sessions(user)  # no id to end it by (not signed in from a cookie): the safe side
        return
    insert_rows(SignedOutSession, [{"user_id": user.id, "session_key": _session_key(issued, getattr(user, _NONCE, None)),
                                    "signed_out_at": utcnow()}], unique=("user_id", "session_key"))


# Rows are kept for at least this long, whatever SESSION_MAX_AGE is today: an operator raising it
# later must not bring back copies of cookies signed out (and pruned) under the shorter setting.
KEEP_SIGNED_OUT_AT_LEAST = timedelta(days=366)


def prune_signed_out() -> int:
    """Rows of sessions whose cookies have expired anyway (refused by age)."""
    from sqlalchemy import delete

    keep = max(current_app.config["SESSION_MAX_AGE"], KEEP_SIGNED_OUT_AT_LEAST)
    cutoff = utcnow() - keep - timedelta(minutes=10)
    deleted = db.session.execute(delete(SignedOutSession).where(SignedOutSession.signed_out_at < cutoff)).rowcount
    db.session.commit()
    return deleted or 0


def end_all_sessions(user) -> None:
    """Every session and remember cookie of this user stops working (the caller commits)."""
    user.end_sessions()
