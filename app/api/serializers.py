"""JSON shapes of the API (docs/contract.md#json-api): one function per resource.

Times are ISO-8601 in UTC with a `Z`; absent values are `null`, never an empty string. The
OpenAPI document (app/api/openapi.py) describes exactly these shapes, and a test holds the two
together."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from app.comments.media import media_json
from app.extensions import db
from app.inbox.unread import count_for
from app.messages.waiting import needs_reply
from app.messages.content import MessageContent, content_of
from app.leads.values import format_value
from app.accounts.history_import import ImportProgress, progress_of
from app.models import Contact, Conversation, InstagramAccount, Label, Lead, LeadStageChange, Message, Note, SavedReply, Workspace
from app.outbound.rules import HUMAN_SOURCES
from app.outbound.windows import reply_window, window_closes_at
from app.templating import iso, safe_url

# Whether an API reply counts as a person's (Instagram's Human Agent tag) is the sending rules' call.
API_IS_HUMAN = "api" in HUMAN_SOURCES


def _time(value) -> str | None:
    return iso(value) or None


def account_json(account: InstagramAccount, history: ImportProgress | None = None) -> dict:
    """The Account shape. `history`: the account's import, when the caller read several at once
    (app.accounts.history_import.progress_for); otherwise it is read here."""
    history = history or progress_of(account.id)
    # Never a token, not even encrypted.
    return {
        "id": account.id,
        "ig_user_id": account.ig_user_id,
        "username": account.username,
        "name": account.name,
        "profile_picture_url": account.profile_picture_url,
        "status": account.status,
        "token_expires_at": _time(account.token_expires_at),
        "webhook_subscribed": account.webhook_subscribed,
        "last_webhook_at": _time(account.last_webhook_at),
        "last_error": account.last_error,
        "import": history.as_json(),
    }


def contact_json(contact: Contact) -> dict:
    return {
        "id": contact.id,
        "igsid": contact.igsid,
        "username": contact.username,
        "name": contact.name,
        "profile_pic_url": safe_url(contact.profile_pic_url),
    }


def human_agent_enabled(workspace_id: int) -> bool:
    """The workspace's Human Agent setting, read at most once per request (a page of conversations
    would otherwise load the workspace once per conversation in the 24 h - 7 d window). Kept in
    the request's environ, which lives exactly as long as the request (flask.g lives as long as
    the app context, which tests share between requests)."""
    known = request.environ.setdefault("igdm.api.human_agent_enabled", {}) if has_request_context() else {}
    if workspace_id not in known:
        known[workspace_id] = bool(db.session.scalar(
            select(Workspace.human_agent_enabled).where(Workspace.id == workspace_id)))
    return known[workspace_id]


def conversation_json(conversation: Conversation, unread_count: int | None = None) -> dict:
    # The same window POST .../messages is held to: can_reply says whether a reply sent through
    # the API now would be accepted (the account being connected aside: see Account.status).
    # `unread_count`: given where there is no token owner (an outbound webhook: the team's count).
    window = reply_window(conversation, human=API_IS_HUMAN,
                          human_agent_enabled=lambda: human_agent_enabled(conversation.workspace_id))
    return {
        "id": conversation.id,
        "account_id": conversation.account_id,
        "contact": contact_json(conversation.contact),
        "kind": conversation.kind,
        "media": _media(conversation),
        "status": conversation.status,
        "snoozed_until": _time(conversation.snoozed_until),
        "assignee_id": conversation.assignee_id,
        # The token owner's own unread (app.inbox.unread), as their inbox shows it.
        "unread_count": count_for(current_user.id, conversation.id) if unread_count is None else unread_count,
        "needs_reply": needs_reply(conversation),
        "waiting_since": _time(conversation.waiting_since),
        "last_message_at": _time(conversation.last_message_at),
        "last_message_preview": conversation.last_message_preview,
        "can_reply": window.can_reply,
        "reply_window_ends_at": _time(window.ends_at) if window.can_reply else None,
        "window_closes_at": _time(window_closes_at(conversation)),
        "labels": [label.name for label in conversation.labels],
        "created_at": _time(conversation.created_at),
        "updated_at": _time(conversation.updated_at),
    }


def _media(conversation: Conversation) -> dict | None:
    # Links the API hands out are http(s) only (app.comments.media keeps only those anyway).
    media = media_json(conversation.media)
    if media is not None:
        media["permalink"] = safe_url(media["permalink"]) if media["permalink"] else None
        media["thumbnail_url"] = safe_url(media["thumbnail_url"]) if media["thumbnail_url"] else None
    return media


def label_json(label: Label) -> dict:
    return {"id": label.id, "name": label.name, "color": label.color}


def _attachments(message: Message) -> list[dict]:
    # Stored as Meta sent them (the URL may sit under `payload`); only http(s) links go out.
    items = []
    for item in message.attachments or ():
        if not isinstance(item, dict):
            continue
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        url = item.get("url") if isinstance(item.get("url"), str) else payload.get("url")
        items.append({
            "type": str(item.get("type") or "file"),
            "url": safe_url(url) if isinstance(url, str) else None,
        })
    return items


def _reactions(message: Message) -> list[dict]:
    def text(value):
        return value if isinstance(value, str) else None

    return [
        {"emoji": text(r.get("emoji")), "reaction": text(r.get("reaction")), "by": text(r.get("by"))}
        for r in message.reactions or ()
        if isinstance(r, dict)
    ]


def _context(content: MessageContent) -> dict | None:
    # Links the API hands out are http(s) only: Instagram's strings are untrusted.
    context = content.context()
    if context is None:
        return None
    for key in ("story", "referral", "template"):
        record = context.get(key)
        if record:
            for name in ("url", "photo_url", "video_url", "image_url"):
                if name in record:
                    record[name] = safe_url(record[name]) if isinstance(record[name], str) else None
            for button in record.get("buttons", ()) if key == "template" else ():
                button["url"] = safe_url(button["url"]) if isinstance(button["url"], str) else None
    for share in context.get("shares", ()):
        share["url"] = safe_url(share["url"]) if isinstance(share["url"], str) else None
    return context


def message_json(message: Message) -> dict:
    deleted = bool(message.is_deleted)
    content = content_of(message)
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "mid": message.mid,
        "direction": message.direction,
        # The kind and context the thread shows (app/messages/content.py), as docs/contract.md#json-api names them.
        "kind": content.kind,
        # An unsent message keeps its row (the thread shows that something was removed), not its content.
        "context": None if deleted else _context(content),
        "text": None if deleted else message.text,
        "attachments": [] if deleted else _attachments(message),
        "status": message.status,
        "error": message.error,
        "source": message.source,
        "sent_by_id": message.sent_by_id,
        "reply_to_mid": message.reply_to_mid,
        "is_deleted": deleted,
        "edited": bool(message.edited),
        "reactions": _reactions(message),
        "created_at": _time(message.created_at),
    }


def lead_json(lead: Lead) -> dict:
    return {
        "id": lead.id,
        "contact": contact_json(lead.contact),
        "conversation_id": lead.conversation_id,
        "status": lead.status,
        "owner_id": lead.owner_id,
        "source": lead.source,
        "source_detail": lead.source_detail if isinstance(lead.source_detail, dict) else {},
        "notes": lead.notes,
        "value": format_value(lead.value_cents),
        "currency": lead.currency,
        "lost_reason": lead.lost_reason,
        "email": lead.email,
        "phone": lead.phone,
        "next_follow_up_at": _time(lead.next_follow_up_at),
        "follow_up_note": lead.follow_up_note,
        "stage_changed_at": _time(lead.stage_changed_at),
        "created_at": _time(lead.created_at),
        "updated_at": _time(lead.updated_at),
    }


def stage_change_json(change: LeadStageChange) -> dict:
    """One move of a lead: `from` is null for none (app.leads.stages), `by` the user id (null: automatic),
    `value` the lead's value at the move (what a won deal was worth)."""
    return {
        "from": change.from_status,
        "to": change.to_status,
        "by": change.user_id,
        "at": _time(change.created_at),
        "lost_reason": change.lost_reason,
        "value": format_value(change.value_cents),
    }


def saved_reply_json(reply: SavedReply) -> dict:
    # The text as stored, variables unfilled: the API has no conversation to fill them for.
    return {
        "id": reply.id,
        "title": reply.title,
        "shortcut": reply.shortcut,
        "text": reply.text,
        "scope": reply.scope,
    }

def webhook_json(endpoint) -> dict:
    """An outbound webhook endpoint (app.integrations); never its secret, which only the 201 of
    POST /webhooks carries, once."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events or ()),
        "active": bool(endpoint.active),
        "created_at": _time(endpoint.created_at),
    }


def note_json(note: Note) -> dict:
    """A private note; `mentions`: the ids of the teammates it mentions (each was notified)."""
    return {
        "id": note.id,
        "conversation_id": note.conversation_id,
        "author_id": note.author_id,
        "text": note.body,
        "mentions": [person.id for person in note.mentioned],
        "created_at": _time(note.created_at),
    }


def notification_json(notification) -> dict:
    """One of the token owner's notifications (app.notifications): `count` is how many messages a
    `new_message` row stands for (it counts up while unread)."""
    return {
        "id": notification.id,
        "type": notification.type,
        "conversation_id": notification.conversation_id,
        "lead_id": notification.lead_id,
        "account_id": notification.account_id,
        "text": notification.text,
        "count": notification.count,
        "created_at": _time(notification.created_at),
        "read_at": _time(notification.read_at),
    }
