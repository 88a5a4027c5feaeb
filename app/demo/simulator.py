"""The webhook simulator: turn "this customer does that" into the delivery Meta would send.

`simulate()` builds the `object: instagram` body for one event (a text, a photo, a story
mention, a reaction, a read receipt, a message from an ad, an unsend, an edit, a comment on one of
the stand-in's posts, optionally an ad: a `changes` delivery of field `comments`), then delivers
it signed to our own webhook endpoint (`app.demo.delivery`), so it is stored, parsed and
applied by the real ingestion path. It never writes a conversation or message itself; it only
reads the thread to find the message a reaction, read, unsend or edit points at.

Customers are named by username. A username the account already has a contact for keeps that
contact's IGSID; a new one gets the stand-in's deterministic IGSID for it (`customer_igsid`),
whose profile lookup answers with the same username.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import select

from app.demo.delivery import WebhookDelivery, deliver_webhook
from app.extensions import db
from app.instagram import payloads
from app.messages.content import REACTION_EMOJI
from app.models import Contact, Conversation, InstagramAccount, InstagramMedia, Message
from app.scoping import scoped
from app.standin import customer_igsid, new_mid
from app.standin.comments import remember as remember_comment
from app.standin.media import DEMO_POSTS
from app.standin.profiles import normalise_username

# The form's choices, in the order the page offers them.
EVENT_KINDS = {
    "text": "Text message",
    "image": "Photo",
    "story_mention": "Story mention",
    "ad_referral": "First message from an ad (click-to-DM)",
    "reaction": "Reaction",
    "read": "Read receipt (seen)",
    "edit": "Edit their last message",
    "unsend": "Unsend their last message",
    "comment": "Comment on a post",
}
# The stand-in's posts a simulated customer can comment on (their captions, shortened).
POSTS = {media_id: post.caption[:60] for media_id, post in DEMO_POSTS.items()}
REACTIONS = REACTION_EMOJI  # the same emoji the inbox shows and sends
REACTION_TARGETS = {"theirs": "their last message", "ours": "our last message"}
NEEDS_TEXT = ("text", "ad_referral", "edit", "comment")
MAX_TEXT_CHARS = 1000
MAX_AD_TITLE_CHARS = 100
MAX_EDITS = 5
SAMPLE_PHOTOS = ("tote.svg", "dress.svg", "sneakers.svg")
STORY_IMAGE = "story.svg"
DEMO_AD_ID = "120210000000000001"


class SimulationRefused(ValueError):
    """The form asks for something that cannot be simulated; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Simulation:
    """One simulated event: who, what, and how the webhook endpoint took it."""

    account: InstagramAccount
    username: str
    igsid: str
    kind: str
    summary: str
    delivery: WebhookDelivery
    conversation_id: int | None


def simulate(form: Mapping[str, str]) -> Simulation:
    """Validate the simulator form, build the event, deliver it; raise SimulationRefused on bad input
    (nothing is delivered then)."""
    kind = (form.get("kind") or "").strip()
    if kind not in EVENT_KINDS:
        raise SimulationRefused("kind", "Choose what the customer does.")
    account = _account(form.get("account_id"))
    username, igsid = _customer(account, form.get("username"), form.get("contact_id"))
    text = (form.get("text") or "").strip()
    if kind in NEEDS_TEXT and not text:
        raise SimulationRefused("text", "Type the message text." if kind != "edit" else "Type the edited text.")
    if len(text) > MAX_TEXT_CHARS:
        raise SimulationRefused("text", f"Keep the text under {MAX_TEXT_CHARS} characters (it has {len(text)}).")

    ig_user_id = account.ig_user_id
    conversation = _conversation(account, igsid)
    if kind == "text":
        item, summary = payloads.text_message(ig_user_id, igsid, new_mid(ig_user_id), text), f"a message: “{text}”"
    elif kind == "image":
        url = _photo_url(conversation)
        item = payloads.attachment_message(ig_user_id, igsid, new_mid(ig_user_id), "image", url, text=text or None)
        summary = "a photo" + (f" with “{text}”" if text else "")
    elif kind == "story_mention":
        item = payloads.story_mention(ig_user_id, igsid, new_mid(ig_user_id), _media_url(STORY_IMAGE))
        summary = f"a story mentioning @{account.username}"
    elif kind == "ad_referral":
        title = (form.get("ad_title") or "").strip()[:MAX_AD_TITLE_CHARS] or "Spring collection"
        item = payloads.ad_referral_message(ig_user_id, igsid, new_mid(ig_user_id), text, DEMO_AD_ID,
                                            ad_title=title, ref="simulator",
                                            photo_url=_media_url(SAMPLE_PHOTOS[0]))
        summary = f"a message from the ad “{title}”: “{text}”"
    elif kind == "reaction":
        reaction = form.get("reaction") or "love"
        if reaction not in REACTIONS:
            raise SimulationRefused("reaction", "Choose one of the reactions offered.")
        target = form.get("reaction_target") or "ours"
        if target not in REACTION_TARGETS:
            raise SimulationRefused("reaction_target", "React to their last message or to ours.")
        message = _last_message(conversation, "in" if target == "theirs" else "out", username)
        item = payloads.reaction(ig_user_id, igsid, message.mid, reaction, REACTIONS[reaction])
        summary = f"a {REACTIONS[reaction]} reaction to {REACTION_TARGETS[target]}"
    elif kind == "read":
        message = _last_message(conversation, "out", username)
        item, summary = payloads.read(ig_user_id, igsid, message.mid), "a read receipt for our last message"
    elif kind == "edit":
        message = _last_message(conversation, "in", username, text_only=True)
        item = payloads.edit(ig_user_id, igsid, message.mid, text, num_edit=_next_edit_number(message))
        summary = f"an edit of their last message to “{text}”"
    elif kind == "comment":
        return _comment(form, account, username, igsid, text)
    else:  # unsend
        message = _last_message(conversation, "in", username)
        item, summary = payloads.unsend(ig_user_id, igsid, message.mid), "an unsend of their last message"

    delivery = deliver_webhook(payloads.delivery(payloads.entry(ig_user_id, [item])))
    conversation = _conversation(account, igsid)
    return Simulation(account=account, username=username, igsid=igsid, kind=kind, summary=summary,
                      delivery=delivery, conversation_id=conversation.id if conversation else None)


def _comment(form: Mapping[str, str], account: InstagramAccount, username: str, igsid: str, text: str) -> Simulation:
    """A comment on one of the stand-in's posts (or, ticked, on an ad of it), delivered as Meta
    delivers comments: a signed `changes` item of field `comments`, dated in seconds."""
    media_id = (form.get("post") or next(iter(POSTS))).strip()
    if media_id not in POSTS:
        raise SimulationRefused("post", "Choose one of the posts offered.")
    on_ad = (form.get("on_ad") or "") in ("1", "on")
    title = (form.get("ad_title") or "").strip()[:MAX_AD_TITLE_CHARS] or "Spring collection"
    # Comment ids are digits at Meta, unique per account.
    comment_id = str(18_000_000_000_000_000 + secrets.randbelow(10**15))
    change = payloads.comment(account.ig_user_id, igsid, comment_id, text, media_id, username=username,
                              ad_id=DEMO_AD_ID if on_ad else None, ad_title=title if on_ad else None)
    standin = current_app.extensions.get("standin")
    if standin is not None:  # so the stand-in answers replies to it with Meta's rules (app.standin.comments)
        remember_comment(standin, ig_user_id=account.ig_user_id, comment_id=comment_id, from_id=igsid,
                         username=username, media_id=media_id)
    delivery = deliver_webhook(payloads.delivery(payloads.change_entry(account.ig_user_id, [change])))
    conversation = db.session.scalar(
        scoped(Conversation).join(Contact, Contact.id == Conversation.contact_id)
        .join(InstagramMedia, InstagramMedia.id == Conversation.media_id)
        .where(Conversation.account_id == account.id, Contact.igsid == igsid, InstagramMedia.ig_media_id == media_id))
    where = f"the ad “{title}”" if on_ad else "the post “" + POSTS[media_id][:30] + "…”"
    return Simulation(account=account, username=username, igsid=igsid, kind="comment",
                      summary=f"a comment on {where}: “{text}”", delivery=delivery,
                      conversation_id=conversation.id if conversation else None)


def simulator_accounts() -> list[InstagramAccount]:
    """The workspace's accounts a simulated customer can write to."""
    return db.session.scalars(
        scoped(InstagramAccount).where(InstagramAccount.status != "disconnected").order_by(InstagramAccount.id)
    ).all()


def simulator_contacts(limit: int = 200) -> list[Contact]:
    """Known customers with a username, most recent first, for the "pick a customer" list."""
    return db.session.scalars(
        scoped(Contact).where(Contact.username.is_not(None)).order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(limit)
    ).all()


def _account(raw_id: str | None) -> InstagramAccount:
    accounts = simulator_accounts()
    if not accounts:
        raise SimulationRefused("account_id", "Connect an Instagram account first (run `flask demo` or use Connect).")
    if not raw_id:
        return accounts[0]
    for account in accounts:
        if str(account.id) == str(raw_id).strip():
            return account
    raise SimulationRefused("account_id", "Choose one of this workspace's connected accounts.")


def _customer(account: InstagramAccount, raw_username: str | None, raw_contact_id: str | None) -> tuple[str, str]:
    """(username, IGSID) of the customer: a typed username wins over a picked contact."""
    typed = (raw_username or "").strip()
    if typed:
        username = normalise_username(typed)
        if username is None:
            raise SimulationRefused("username", "An Instagram username has only letters, digits, periods and "
                                                "underscores, at most 30 characters.")
        known = db.session.scalar(
            scoped(Contact).where(Contact.account_id == account.id, Contact.username == username).limit(1)
        )
        return username, (known.igsid if known else customer_igsid(username))
    if raw_contact_id:
        contact = db.session.scalar(scoped(Contact).where(Contact.id == _as_int(raw_contact_id)))
        if contact is None:
            raise SimulationRefused("contact_id", "That customer is not in this workspace.")
        if contact.account_id == account.id:
            return contact.username or contact.igsid, contact.igsid
        # IGSIDs are per account: towards another account the same person has another id, which
        # the stand-in derives from their username.
        username = normalise_username(contact.username or "")
        if username is None:
            raise SimulationRefused("contact_id", "That customer has no username to write to another account with; "
                                                  "type one instead.")
        return username, customer_igsid(username)
    raise SimulationRefused("username", "Pick a customer or type a username.")


def _as_int(raw: str) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _conversation(account: InstagramAccount, igsid: str) -> Conversation | None:
    return db.session.scalar(
        scoped(Conversation).join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.account_id == account.id, Contact.igsid == igsid, Conversation.kind == "dm")
    )


def _last_message(conversation: Conversation | None, direction: str, username: str, *,
                  text_only: bool = False) -> Message:
    """The newest message in `direction` an event can point at (it has a mid and still shows)."""
    who = f"@{username}" if direction == "in" else "you"
    if conversation is None:
        raise SimulationRefused("kind", f"@{username} has no conversation yet: send a text message first.")
    query = (select(Message).where(Message.conversation_id == conversation.id, Message.direction == direction,
                                   Message.mid.is_not(None), Message.is_deleted.is_(False)))
    if text_only:
        query = query.where(Message.text.is_not(None), Message.text != "")
    message = db.session.scalar(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(1))
    if message is None:
        what = "text message" if text_only else "message"
        raise SimulationRefused("kind", f"There is no {what} from {who} in this conversation to point at yet.")
    return message


def _next_edit_number(message: Message) -> int:
    """Meta numbers a message's edits 1..5 and ingestion ignores an edit numbered no higher than
    the last one it applied, so the next edit continues from what the message records."""
    meta = message.meta if isinstance(message.meta, dict) else {}
    previous = meta.get("num_edit") if isinstance(meta.get("num_edit"), int) else 0
    if previous >= MAX_EDITS:
        raise SimulationRefused("kind", f"Instagram allows at most {MAX_EDITS} edits of a message.")
    return previous + 1


def _photo_url(conversation: Conversation | None) -> str:
    # Rotate through the sample photos so consecutive simulated photos look different.
    count = 0
    if conversation is not None:
        count = db.session.scalar(
            select(db.func.count(Message.id)).where(Message.conversation_id == conversation.id)
        ) or 0
    return _media_url(SAMPLE_PHOTOS[count % len(SAMPLE_PHOTOS)])


def _media_url(filename: str) -> str:
    """An absolute URL of a sample image served by this app (Meta sends absolute CDN URLs)."""
    path = url_for("static", filename=f"demo/{filename}")
    public = current_app.config.get("PUBLIC_URL")
    return public + path if public else url_for("static", filename=f"demo/{filename}", _external=True)
