"""The demo shop's drafts: replies its two people started and have not sent yet, so the list shows
"Draft:" on those rows and opening the thread brings the text back into the reply box (and signing
in as the same person on a phone finds it there too). Written through app.inbox.drafts. A draft is
added only where its author has neither a draft nor a message of their own in that conversation,
so running the demo again changes nothing, nor brings back a draft someone has since sent."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.inbox import drafts
from app.models import Contact, Conversation, Draft, Message, User, Workspace
from app.standin import customer_igsid

# Customer (app.demo.seed.STORIES) -> (whose draft: "admin" or "agent", what they have typed so far).
DRAFTS = {
    "jonas.outdoors": ("agent", "Hi Jonas! Size 44 is back in stock tomorrow morning. Shall I put a pair aside "
                                "for you and send"),
    "marco_fit": ("admin", "Hi Marco, yes, the blue shirt is still here in L, and we ship to Milan in 3–5 days. "),
}


def seed_drafts(workspace: Workspace, admin: User, agent: User) -> None:
    people = {"admin": admin, "agent": agent}
    for username, (who, text) in DRAFTS.items():
        author = people[who]
        conversation = db.session.scalar(
            select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
            .where(Conversation.workspace_id == workspace.id, Contact.igsid == customer_igsid(username),
                   Conversation.kind == "dm"))
        if conversation is None or db.session.get(Draft, (author.id, conversation.id)) is not None:
            continue
        wrote = db.session.scalar(select(Message.id).where(Message.conversation_id == conversation.id,
                                                           Message.sent_by_id == author.id).limit(1))
        if wrote is None:
            drafts.save(conversation, author, text)
