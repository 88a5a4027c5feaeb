"""AI replies: the prompt built from a conversation's recent thread and the workspace's knowledge
text, the drafts staff ask for with "Suggest reply", and the answer automation may send itself.

Drafting always runs as a job (`app.automation.jobs.write_ai_draft`); a web request only creates
the pending AiDraft row and later reads it, so no request waits for the model.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from app.automation.llm import ModelUnavailable, complete, llm_configured
from app.automation.settings import MAX_KNOWLEDGE_CHARS, workspace_settings
from app.extensions import db
from app.models import AiDraft, Conversation, Message, User, utcnow

log = logging.getLogger(__name__)

THREAD_MESSAGES = 20
# A pending draft older than this was lost (worker crash, dropped enqueue): say so, stop polling.
DRAFT_GIVES_UP_AFTER = timedelta(seconds=90)

_ATTACHMENT_WORDS = {"image": "a photo", "video": "a video", "audio": "a voice message", "file": "a file",
                     "share": "a shared post", "story_mention": "a story mention", "ig_reel": "a reel",
                     "reel": "a reel", "ig_post": "a post", "ig_story": "a story"}

SYSTEM_PROMPT = """You write replies for the business "{business}" to customers in Instagram Direct Messages.
Write the next reply from the business to the customer's latest message(s).
- Use the customer's language. Be friendly, brief (at most 600 characters) and plain: no markdown, no lists.
- Use only the business information below and the conversation. If they do not answer the question, say that a
  team member will follow up; never invent prices, stock, dates or promises.
- Reply with the message text only.

Business information:
{knowledge}"""


def build_chat(conversation: Conversation) -> list[dict[str, str]]:
    """The chat-completions messages: instructions and knowledge, then the last ~20 messages."""
    settings = workspace_settings(conversation.workspace_id)
    account = conversation.account
    handle = f"@{account.username}" if account.username else ""
    business = f"{account.name} ({handle})" if account.name and handle else (account.name or handle or "our business")
    knowledge = (settings.knowledge or "").strip()[:MAX_KNOWLEDGE_CHARS] or "(none given)"
    chat = [{"role": "system", "content": SYSTEM_PROMPT.format(business=business, knowledge=knowledge)}]
    recent = db.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.is_deleted.is_(False))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(THREAD_MESSAGES)
    ).all()
    for message in reversed(recent):
        content = _as_text(message)
        if not content:
            continue
        role = "user" if message.direction == "in" else "assistant"
        if chat[-1]["role"] == role:  # some servers insist that roles alternate
            chat[-1]["content"] += "\n" + content
        else:
            chat.append({"role": role, "content": content})
    return chat


def _as_text(message: Message) -> str:
    parts = [message.text.strip()] if message.text and message.text.strip() else []
    for item in message.attachments or []:
        parts.append(f"[sent {_ATTACHMENT_WORDS.get(item.get('type'), 'an attachment')}]")
    if message.kind == "story_mention" and not message.attachments:
        parts.append("[mentioned the business in their story]")
    return " ".join(parts)


def ai_reply(conversation: Conversation) -> str:
    """The model's reply for this conversation; raises ModelUnavailable."""
    return complete(build_chat(conversation))


# -- Drafts for staff --------------------------------------------------------------------------

class DraftRefused(Exception):
    """A draft cannot be requested; the message says why."""


def request_draft(conversation: Conversation, user: User) -> AiDraft:
    """Create a pending draft (committed); the caller enqueues the job that writes it."""
    if not llm_configured():
        raise DraftRefused("AI drafts are not set up on this server (LLM_API_URL, LLM_API_KEY and LLM_MODEL).")
    draft = AiDraft(conversation_id=conversation.id, requested_by_id=user.id, status="pending")
    db.session.add(draft)
    db.session.commit()
    return draft


def write_draft(draft_id: int) -> AiDraft | None:
    """Ask the model and store the draft (ready or failed with a readable error). Idempotent:
    a draft that is no longer pending is left alone."""
    draft = db.session.get(AiDraft, draft_id)
    if draft is None or draft.status != "pending":
        return draft
    conversation = db.session.get(Conversation, draft.conversation_id)
    try:
        text = ai_reply(conversation)
    except ModelUnavailable as exc:
        draft.status, draft.error = "failed", str(exc)
    else:
        draft.status, draft.text = "ready", text
    db.session.commit()
    log.info("AI draft %s for conversation %s: %s", draft.id, conversation.id, draft.status)
    return draft


def draft_for_poll(draft: AiDraft, now: datetime | None = None) -> AiDraft:
    """The draft as the poll should show it: a pending one past its time is failed for good."""
    now = now or utcnow()
    if draft.status == "pending" and draft.created_at < now - DRAFT_GIVES_UP_AFTER:
        draft.status = "failed"
        draft.error = "The AI draft took too long and was given up. Try again."
        db.session.commit()
    return draft
