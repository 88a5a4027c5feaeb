"""Label test fixtures: a workspace with an admin, an agent, an account and two conversations,
and a helper that makes labels directly (as an admin would)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.extensions import db
from app.models import Conversation, Label, User, Workspace


@dataclass
class Shop:
    workspace: Workspace
    admin: User
    agent: User
    first: Conversation
    second: Conversation

    def label(self, name: str, color: str = "#6b7280") -> Label:
        label = Label(workspace_id=self.workspace.id, name=name, color=color)
        db.session.add(label)
        db.session.commit()
        return label


@pytest.fixture
def shop(factory) -> Shop:
    ws = factory.workspace("Label Shop")
    admin = factory.user(ws, email="admin@labelshop.test", name="Ada Admin")
    agent = factory.user(ws, email="agent@labelshop.test", name="Sam Agent", role="agent")
    account = factory.account(ws, username="label.shop")
    first = factory.conversation(account, contact=factory.contact(account, name="Priya Buyer", username="priya"),
                                 last_message_preview="Do you do wholesale?")
    second = factory.conversation(account, contact=factory.contact(account, name="Marco Fit", username="marco"),
                                  last_message_preview="Blue shirt in L?")
    return Shop(ws, admin, agent, first, second)


def label_names(conversation: Conversation) -> list[str]:
    db.session.expire_all()
    return [label.name for label in db.session.get(Conversation, conversation.id).labels]
