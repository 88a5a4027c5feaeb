"""The staff-side events that notify someone, each called by the code that makes the event, before
its commit, so the notification and the event are one transaction (app.notifications.create):

- `conversations_assigned`: app.inbox.actions.assign_all (the page, the list's bulk action and
  the API all assign through it) tells the new assignee, unless they assigned themselves;
- `account_needs_attention`: app.accounts.lifecycle, when an account *becomes* reauth_required
  or loses its webhook subscription (once per incident, not on every failing call).

Ingestion's own notifications (new conversation, new message) are app.notifications.create.on_inbound;
mentions are app.inbox.mentions'; a follow-up due is app.leads.jobs'."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Contact, Conversation, Notification, User
from app.notifications.create import notify, notify_admins

# The columns a row for one conversation shares with the rows for the others of the same batch.
_SHARED = ("workspace_id", "user_id", "type", "actor_id", "channels", "created_at", "push_pending", "email_pending")


def _customer_names(conversation_ids: list[int]) -> dict[int, str]:
    """The customers as the line may name them. A brand-new customer has neither a name nor a
    username until the profile lookup (a follow-up job) fills them, while auto-assignment writes
    its line in the delivery's own transaction: the line says "a new customer" rather than freeze
    the placeholder "Instagram user" into the text, and "a customer" once a lookup found no name.
    (The bell's customer column reads the contact when shown, so it has the name by then.)"""
    rows = db.session.execute(
        select(Conversation.id, Contact).join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.id.in_(conversation_ids)))
    return {cid: contact.display_name if contact.name or contact.username
            else ("a customer" if contact.profile_fetched_at else "a new customer") for cid, contact in rows}


def conversations_assigned(conversations: list[Conversation], assignee_id: int | None,
                           actor: User | None) -> list[Notification]:
    """`assignee_id` was given these conversations by `actor` (None: the app itself, e.g. the demo
    or an assignment rule). One row per conversation, each opening its conversation. The person's
    channels are looked up once for the whole batch (a bulk assign of 200 is three queries, not 600)."""
    if assignee_id is None or not conversations or (actor is not None and actor.id == assignee_id):
        return []
    names = _customer_names([c.id for c in conversations])
    by = actor.display_name if actor is not None else "The inbox"

    def line(conversation: Conversation) -> str:
        return f"{by} assigned you the conversation with {names.get(conversation.id, 'a customer')}."

    first, *rest = conversations
    made = notify(first.workspace_id, "assigned", [assignee_id], text_=line(first), conversation_id=first.id,
                  actor_id=actor.id if actor is not None else None)
    copies = [Notification(conversation_id=conversation.id, text=line(conversation),
                           **{key: getattr(template, key) for key in _SHARED})
              for template in made for conversation in rest]
    db.session.add_all(copies)
    return made + copies


ATTENTION_TEXT = {
    "reauth_required": "@{username} must be reconnected: Instagram no longer accepts its access token. "
                       "Replies from it are on hold.",
    "not_subscribed": "@{username} is not subscribed to Instagram's webhooks, so its new messages do not arrive. "
                      "Retry the subscription on the Accounts page.",
}


def account_needs_attention(workspace_id: int, account_id: int, username: str | None, kind: str) -> list[Notification]:
    """Tell the workspace's admins that an account just stopped working (`kind`: reauth_required
    or not_subscribed). Callers call it on the change of state only."""
    text = ATTENTION_TEXT[kind].format(username=username or "An Instagram account")
    return notify_admins(workspace_id, "account_attention", text_=text, account_id=account_id)

