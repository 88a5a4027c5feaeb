"""A person's notification preferences: for each type, the channels it goes out on (Settings →
Notifications), and whether push and mail may carry the message's text (`users.notification_previews`).

A type's channels are stored in notification_preferences only when they differ from
app.notifications.kinds.DEFAULT_CHANNELS, and the row is deleted when they are back at the default,
so a change of defaults reaches everyone who never chose. Admin-only types are offered to admins
only; mail only to kinds.EMAIL_TYPES (allowed_channels)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import NOTIFICATION_TYPES, NotificationPreference, User
from app.notifications.kinds import ADMIN_TYPES, CHANNELS, DEFAULT_CHANNELS, TYPE_LABELS, allowed_channels


@dataclass(frozen=True)
class TypeChoice:
    type: str
    label: str
    channels: int      # as chosen (or the default)
    allowed: int       # the channels this type may use at all

    def on(self, channel: str) -> bool:
        return bool(self.channels & CHANNELS[channel])

    def offers(self, channel: str) -> bool:
        return bool(self.allowed & CHANNELS[channel])


def types_for(user: User) -> list[str]:
    return [t for t in NOTIFICATION_TYPES if t not in ADMIN_TYPES or user.is_admin]


def choices(user: User) -> list[TypeChoice]:
    stored = dict(db.session.execute(
        select(NotificationPreference.type, NotificationPreference.channels)
        .where(NotificationPreference.user_id == user.id)).all())
    return [TypeChoice(t, TYPE_LABELS[t], stored.get(t, DEFAULT_CHANNELS[t]) & allowed_channels(t), allowed_channels(t))
            for t in types_for(user)]


def field_name(type_: str, channel: str) -> str:
    """The form's checkbox for one cell of the table."""
    return f"{type_}.{channel}"


def save(user: User, checked: set[str], previews: bool) -> None:
    """Store the table as submitted (`checked`: the names of the ticked boxes) and the previews
    switch; types the person is not offered are left as they are. The caller commits."""
    for type_ in types_for(user):
        mask = sum(bit for channel, bit in CHANNELS.items() if field_name(type_, channel) in checked)
        store_channels(user.id, type_, mask)
    user.notification_previews = previews


def store_channels(user_id: int, type_: str, channels: int) -> None:
    """The one home of how a choice is stored: a row only where it differs from the default (so a
    new default reaches everyone who never chose), none otherwise. The caller commits."""
    channels &= allowed_channels(type_)
    row = db.session.get(NotificationPreference, (user_id, type_))
    if channels == DEFAULT_CHANNELS[type_] & allowed_channels(type_):
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(NotificationPreference(user_id=user_id, type=type_, channels=channels))
    else:
        row.channels = channels
