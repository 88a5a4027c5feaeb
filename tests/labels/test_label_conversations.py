"""`label_conversations`, the function the list's bulk actions call: adds and removes labels on
many conversations in one commit, only in the caller's workspace, creating unknown names for
admins only, and bumps updated_at only where something changed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.errors import ActionRefused
from app.extensions import db
from app.labels.tagging import label_conversations
from app.models import Conversation, ConversationLabel, Label, utcnow
from tests.labels.conftest import label_names


def _age(*conversations):
    past = utcnow() - timedelta(hours=1)
    for conversation in conversations:
        db.session.get(Conversation, conversation.id).updated_at = past
    db.session.commit()
    return past


def test_adds_and_removes_on_every_conversation(shop):
    vip, wholesale = shop.label("vip"), shop.label("wholesale")
    db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=wholesale.id))
    db.session.commit()
    past = _age(shop.first, shop.second)
    changed = label_conversations([shop.first.id, shop.second.id], add=["VIP"], remove=["wholesale"], by=shop.agent)
    assert changed == 2
    assert label_names(shop.first) == ["vip"] and label_names(shop.second) == ["vip"]
    assert all(db.session.get(Conversation, c.id).updated_at > past for c in (shop.first, shop.second))
    assert db.session.get(ConversationLabel, (shop.second.id, vip.id)).added_by_id == shop.agent.id


def test_nothing_to_change_changes_nothing(shop):
    vip = shop.label("vip")
    db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=vip.id))
    db.session.commit()
    past = _age(shop.first)
    assert label_conversations([shop.first.id], add=["vip"], remove=["never-was"], by=shop.agent) == 0
    assert db.session.get(Conversation, shop.first.id).updated_at == past
    assert label_conversations([], add=["vip"], by=shop.agent) == 0


def test_unknown_names_are_created_for_admins_and_refused_for_agents(shop):
    with pytest.raises(ActionRefused) as refused:
        label_conversations([shop.first.id], add=["brand-new"], by=shop.agent)
    assert refused.value.field == "labels"
    assert db.session.query(Label).count() == 0
    assert label_conversations([shop.first.id], add=["Brand New"], by=shop.admin) == 1
    assert label_names(shop.first) == ["brand-new"]


def test_invalid_names_are_refused_before_anything_changes(shop):
    shop.label("vip")
    for kwargs in ({"add": ["vip", "no way!"]}, {"remove": ["x" * 41]}):
        with pytest.raises(ActionRefused):
            label_conversations([shop.first.id], by=shop.admin, **kwargs)
    assert label_names(shop.first) == []


def test_other_workspaces_and_malformed_ids_are_skipped(shop, factory):
    shop.label("vip")
    other_account = factory.account(factory.workspace("Other"))
    theirs = factory.conversation(other_account)
    changed = label_conversations([theirs.id, "x", 0, 2**40, str(shop.first.id)], add=["vip"], by=shop.agent)
    assert changed == 1
    assert label_names(theirs) == [] and label_names(shop.first) == ["vip"]
