"""Sign-in sessions the server can end.

Flask-Login keeps `user.get_id()` in the signed session cookie and, for "Keep me signed in", in the
remember cookie. Both are client-side, so on their own nothing on the server could revoke them
(SECURITY_REVIEW F-02). The id is therefore `<user id>:<session generation>:<issued at>`:
- sign-out, a password change and deactivation bump `users.session_generation` (or clear
  `active`), and every cookie carrying the old generation fails on its next request;
- a cookie issued longer ago than `SESSION_MAX_AGE` is refused, whatever the browser kept: the
  remember cookie's expiry is enforced here, not only by the browser.
"""
from __future__ import annotations

import time
from functools import cache

from flask import current_app
from flask_login import login_user
from sqlalchemy import bindparam, select

from app.extensions import db
from app.inbox.localtime import forget_zone
from app.models import utcnow
from app.scoping import valid_id

_ISSUED = "_session_issued_at"  # set on a User loaded from a cookie, so get_id() repeats its issue time


def session_id(user) -> str:
    issued = getattr(user, _ISSUED, None) or int(time.time())
    return f"{user.id}:{user.session_generation or 0}:{issued}"


@cache
def _user_by_id():
    # Every signed-in request loads its user, the live poll every 2 s per tab: a statement built
    # once cost 0.11 ms where Session.get, which builds its own each time, cost 0.19 ms (SQLite,
    # in process). A served request's session starts empty, so Session.get's identity-map lookup
    # would find nothing to save a query with (tests that keep one session across requests do).
    from app.models import User

    return select(User).where(User.id == bindparam("user_id"))


def load_user(raw: str):
    """Flask-Login's user loader: the user the cookie names, if that cookie is still honoured."""
    try:
        user_id, generation, issued = (int(part) for part in str(raw).split(":"))
    except ValueError:
        return None  # an id of the old "<user id>" form, or garbage: sign in again
    if valid_id(user_id) is None:
        return None
    age = time.time() - issued
    if age > current_app.config["SESSION_MAX_AGE"].total_seconds() or age < -300:
        return None
    user = db.session.execute(_user_by_id(), {"user_id": user_id}).scalar_one_or_none()
    if user is None or not user.is_active or user.session_generation != generation:
        return None
    setattr(user, _ISSUED, issued)
    return user


def sign_in(user, remember: bool) -> None:
    """A fresh session (and, when asked, a remember cookie) issued now, and the person seen now
    (the team page's "last seen": joining from an invite or a password link signs in too)."""
    user.last_login_at = utcnow()
    db.session.commit()
    user.__dict__.pop(_ISSUED, None)
    login_user(user, remember=remember, duration=current_app.config["SESSION_MAX_AGE"])
    forget_zone()


def end_all_sessions(user) -> None:
    """Every session and remember cookie of this user stops working (the caller commits)."""
    user.end_sessions()
