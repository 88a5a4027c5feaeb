"""The notification types, the channels they can go out on, and the defaults a new person gets.

A person's choice per type is a bitmask of channels (stored in notification_preferences only when
it differs from DEFAULT_CHANNELS); the channels of a notification are decided from it when the row
is written (app.notifications.create), so changing a preference never re-sends old ones."""
from __future__ import annotations

from app.models import NOTIFICATION_TYPES

IN_APP = 1    # the bell and /notifications
DESKTOP = 2   # a system notification from an open tab in the background (static/js/notify.js)
PUSH = 4      # Web Push to the person's devices, even with no tab open (app.notifications.push)
EMAIL = 8     # a batched mail when the person is away (app.notifications.email)

CHANNELS = {"in_app": IN_APP, "desktop": DESKTOP, "push": PUSH, "email": EMAIL}
CHANNEL_LABELS = {"in_app": "In the app", "desktop": "Desktop", "push": "Push", "email": "Email"}

# Assignments and mentions are addressed to one person: every channel. A new conversation goes to
# everyone (only while nobody is assigned to it), a new message only to the conversation's
# assignee: both loud enough in the app and on devices, too frequent for mail.
DEFAULT_CHANNELS = {
    "new_conversation": IN_APP | DESKTOP | PUSH,
    "new_message": IN_APP | DESKTOP | PUSH,
    "assigned": IN_APP | DESKTOP | PUSH | EMAIL,
    "mention": IN_APP | DESKTOP | PUSH | EMAIL,
    "follow_up_due": IN_APP | DESKTOP | PUSH,
    "account_attention": IN_APP | DESKTOP | EMAIL,
}
assert set(DEFAULT_CHANNELS) == set(NOTIFICATION_TYPES)

# Mail is for what is addressed to a person and would be missed: the rest is not worth a mail.
EMAIL_TYPES = ("assigned", "mention", "account_attention")
# Only admins can act on a disconnected account, so only they are told.
ADMIN_TYPES = ("account_attention",)

TYPE_LABELS = {
    "new_conversation": "New conversations (while nobody is assigned)",
    "new_message": "New messages in conversations assigned to me",
    "assigned": "A conversation is assigned to me",
    "mention": "Someone mentions me in a note",
    "follow_up_due": "A follow-up of mine is due",
    "account_attention": "An Instagram account needs attention (admins)",
}
assert set(TYPE_LABELS) == set(NOTIFICATION_TYPES)


def allowed_channels(type_: str) -> int:
    """The channels a type may use at all (mail only for EMAIL_TYPES)."""
    every = IN_APP | DESKTOP | PUSH | EMAIL
    return every if type_ in EMAIL_TYPES else every & ~EMAIL
