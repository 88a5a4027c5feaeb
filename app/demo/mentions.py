"""The demo shop's @mention: the admin's private note in Jonas's conversation (Sam's) asks Sam
about the shoes by name, so Sam's bell has a mention, the note shows it highlighted and Sam's
Mentions filter lists the conversation. Written through app.inbox.actions.add_note, the path the
composer takes; added only while the admin has no note there, so running the demo again changes
nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.inbox.actions import add_note
from app.models import Contact, Conversation, Note, User, Workspace
from app.standin import customer_igsid

CUSTOMER = "jonas.outdoors"  # app.demo.seed.STORIES: assigned to Sam, waiting for an answer


def mention_note(agent: User) -> str:
    return f"@{agent.display_name} Jonas needs size 44 before the weekend: can you check the stock this morning?"


def seed_mentions(workspace: Workspace, admin: User, agent: User) -> None:
    conversation = db.session.scalar(
        select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.workspace_id == workspace.id, Contact.igsid == customer_igsid(CUSTOMER),
               Conversation.kind == "dm"))
    if conversation is None:
        return
    written = db.session.scalar(select(Note.id).where(Note.conversation_id == conversation.id,
                                                      Note.author_id == admin.id).limit(1))
    if written is None:
        add_note(conversation, admin, mention_note(agent), [agent.id])
