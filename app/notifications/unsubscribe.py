"""Unsubscribe links in alert mails: a signed token naming a person and the alert types a link
stops, and the change it makes to that person's preferences.

The token is signed with the app's SECRET_KEY (itsdangerous, a salt of its own so no other signed
value of the app can stand in for it) and does not expire: a link in a mail must keep working as
long as the mail is kept, and all it can do is stop mail for its owner. It is the only credential
the unsubscribe endpoints take, so they need no sign-in (the person reads mail on a phone where
they are not signed in) and the one-click POST needs no CSRF token (docs/architecture.md, "Email
alerts")."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import User
from app.notifications.create import preferences
from app.notifications.kinds import EMAIL, EMAIL_TYPES
from app.notifications.preferences import store_channels

SALT = "notifications.unsubscribe"

# What each link says it stops: "Stop emails about mentions".
TYPE_NOUNS = {
    "assigned": "conversations assigned to you",
    "mention": "mentions",
    "account_attention": "Instagram accounts that need attention",
}
assert set(TYPE_NOUNS) == set(EMAIL_TYPES)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def unsubscribe_token(user_id: int, types) -> str:
    """A token that stops `types` (alert types that can be mailed) for `user_id`."""
    wanted = sorted(set(types))
    if not wanted or not set(wanted) <= set(EMAIL_TYPES):
        raise ValueError(f"not mailed alert types: {wanted}")
    return _serializer().dumps({"u": user_id, "t": wanted})


@dataclass(frozen=True)
class Unsubscribe:
    user: User
    types: tuple[str, ...]

    @property
    def nouns(self) -> list[str]:
        return [TYPE_NOUNS[t] for t in self.types]


def read_token(token: str) -> Unsubscribe | None:
    """What a token asks for, or None when it is not one of ours (tampered, truncated) or its
    person no longer exists."""
    try:
        data = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    user_id, types = data.get("u"), data.get("t")
    if not isinstance(user_id, int) or not isinstance(types, list) or not types:
        return None
    if not all(isinstance(t, str) and t in EMAIL_TYPES for t in types):
        return None
    user = db.session.get(User, user_id)
    return Unsubscribe(user, tuple(sorted(set(types)))) if user is not None else None


def stop_emails(request: Unsubscribe) -> None:
    """Clear the EMAIL channel of each type for the person and commit; the other channels stay.
    Stored as app.notifications.create.preferences reads it: a row only when the result differs
    from the default. Doing it twice changes nothing; alerts already waiting to be mailed are not
    mailed either, because the mail job reads the preferences again before sending."""
    for attempt in (1, 2):
        try:
            for type_ in request.types:
                current = preferences([request.user.id], type_)[request.user.id]
                _store(request.user.id, type_, current & ~EMAIL)
            db.session.commit()
            return
        except IntegrityError:
            # The confirm page's POST and a mail client's one-click POST at the same moment: the
            # other inserted the row first; read it again.
            db.session.rollback()
            if attempt == 2:
                raise


def _store(user_id: int, type_: str, channels: int) -> None:
    store_channels(user_id, type_, channels)
    db.session.flush()
