"""Small factories for test rows; each commits so the app under test sees it."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.extensions import db
from app.messages import first_times
from app.models import (
    AutomationRule,
    Contact,
    Conversation,
    ConversationUnread,
    InstagramAccount,
    Lead,
    Message,
    User,
    Workspace,
    utcnow,
)
from app.token_crypto import token_cipher

_seq = itertools.count(1)


class Factory:
    def workspace(self, name: str | None = None) -> Workspace:
        ws = Workspace(name=name or f"Workspace {next(_seq)}")
        db.session.add(ws)
        db.session.commit()
        return ws

    def user(self, workspace: Workspace | None = None, email: str | None = None,
             password: str = "correct-horse-battery", role: str = "admin", name: str | None = None) -> User:
        workspace = workspace or self.workspace()
        user = User(workspace_id=workspace.id, email=email or f"user{next(_seq)}@example.com", role=role, name=name)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    def account(self, workspace: Workspace | None = None, ig_user_id: str | None = None,
                username: str | None = None, token: str = "IGQWRtestTOKENvalue", status: str = "active") -> InstagramAccount:
        workspace = workspace or self.workspace()
        n = next(_seq)
        account = InstagramAccount(
            workspace_id=workspace.id, ig_user_id=ig_user_id or f"1784{n:010d}", username=username or f"shop{n}",
            name=f"Shop {n}", token_encrypted=token_cipher().encrypt(token) if token else None,
            token_expires_at=utcnow() + timedelta(days=50), status=status, webhook_subscribed=True,
        )
        db.session.add(account)
        db.session.commit()
        return account

    def contact(self, account: InstagramAccount | None = None, igsid: str | None = None, **fields) -> Contact:
        account = account or self.account()
        contact = Contact(workspace_id=account.workspace_id, account_id=account.id,
                          igsid=igsid or f"9{next(_seq):015d}", **fields)
        db.session.add(contact)
        db.session.commit()
        return contact

    def conversation(self, account: InstagramAccount | None = None, contact: Contact | None = None, **fields) -> Conversation:
        """`unread_count=n` is n messages nobody has read: for the team (the column) and for every
        active member (their ConversationUnread rows), as ingestion leaves them."""
        account = account or (contact.account if contact else self.account())
        contact = contact or self.contact(account)
        fields.setdefault("last_message_at", utcnow())
        conversation = Conversation(workspace_id=account.workspace_id, account_id=account.id, contact_id=contact.id, **fields)
        db.session.add(conversation)
        db.session.flush()
        if conversation.unread_count:
            members = db.session.scalars(select(User.id).where(User.workspace_id == account.workspace_id,
                                                               User.active.is_(True)))
            db.session.add_all(ConversationUnread(user_id=user_id, conversation_id=conversation.id,
                                                  count=conversation.unread_count, since=conversation.last_message_at)
                               for user_id in members)
        db.session.commit()
        return conversation

    def unread(self, conversation: Conversation, user: User, count: int = 1) -> ConversationUnread:
        """`user`'s own unread in `conversation` (only theirs)."""
        row = ConversationUnread(user_id=user.id, conversation_id=conversation.id, count=count,
                                 since=conversation.last_message_at)
        db.session.add(row)
        db.session.commit()
        return row

    def message(self, conversation: Conversation, text: str = "Hello!", direction: str = "in",
                created_at: datetime | None = None, **fields) -> Message:
        fields.setdefault("status", "received" if direction == "in" else "sent")
        fields.setdefault("source", "instagram" if direction == "in" else "inbox")
        fields.setdefault("mid", f"mid.{next(_seq)}")
        message = Message(account_id=conversation.account_id, conversation_id=conversation.id, direction=direction,
                          text=text, created_at=created_at or datetime.now(timezone.utc), **fields)
        db.session.add(message)
        # A writer of messages like any other: keeps the conversation's first times (for the reports).
        first_times.refresh([conversation.id])
        db.session.commit()
        return message

    def lead(self, conversation: Conversation, **fields) -> Lead:
        lead = Lead(workspace_id=conversation.workspace_id, contact_id=conversation.contact_id,
                    conversation_id=conversation.id, **fields)
        db.session.add(lead)
        db.session.commit()
        return lead

    def greeting_rule(self, account: InstagramAccount, *, everywhere: bool = True, enabled: bool = True,
                      **fields) -> AutomationRule:
        """An automation rule that answers a customer's first message: with one, ingestion queues
        automation for the account's DMs (`everywhere`: for every account of the workspace)."""
        rule = AutomationRule(workspace_id=account.workspace_id, account_id=None if everywhere else account.id,
                              kind="greeting", reply_text="Hi! We'll be right with you.", enabled=enabled, **fields)
        db.session.add(rule)
        db.session.commit()
        return rule
