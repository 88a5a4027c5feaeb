"""app.inserts: the cached INSERT ... ON CONFLICT DO NOTHING ... RETURNING of ingestion."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.inserts import insert_entities, insert_rows
from app.models import Contact, Conversation, Message, utcnow


def test_conflicting_rows_are_skipped_and_not_returned(app, factory):
    account = factory.account()
    existing = factory.contact(account, igsid="111")
    rows = [{"workspace_id": account.workspace_id, "account_id": account.id, "igsid": igsid, "created_at": utcnow()}
            for igsid in ("111", "222", "333")]
    returned = insert_rows(Contact, rows, ["account_id", "igsid"], ("id", "igsid")).all()
    db.session.commit()
    assert sorted(row.igsid for row in returned) == ["222", "333"]
    assert existing.id not in {row.id for row in returned}
    assert sorted(db.session.scalars(select(Contact.igsid))) == ["111", "222", "333"]


def test_left_out_columns_get_their_python_defaults(app, factory):
    conversation = factory.conversation()
    row = {"account_id": conversation.account_id, "conversation_id": conversation.id, "mid": "m.defaults",
           "direction": "in", "kind": "message", "text": "hi", "status": "received", "source": "instagram",
           "created_at": utcnow()}
    [message_id] = insert_rows(Message, [row], ["account_id", "mid"], ("id",)).scalars().all()
    db.session.commit()
    message = db.session.get(Message, message_id)
    # No server default behind these: without the Python defaults the row could not be inserted.
    assert message.attachments == [] and message.reactions == [] and message.meta == {}
    assert message.received_at is not None and message.updated_at is not None


def test_entities_come_back_as_orm_objects_with_typed_values(app, factory):
    contact = factory.contact()
    now = utcnow()
    [conversation] = insert_entities(Conversation, [{
        "workspace_id": contact.workspace_id, "account_id": contact.account_id, "contact_id": contact.id,
        "status": "open", "unread_count": 0, "last_message_at": now, "created_at": now, "updated_at": now}],
        ["account_id", "contact_id"], unique_where="kind = 'dm'")
    assert isinstance(conversation, Conversation) and conversation.id is not None
    assert conversation.last_message_at == now  # a timezone-aware datetime, as the column type gives it
    assert insert_entities(Conversation, [{
        "workspace_id": contact.workspace_id, "account_id": contact.account_id, "contact_id": contact.id,
        "status": "open", "unread_count": 0, "last_message_at": now, "created_at": now, "updated_at": now}],
        ["account_id", "contact_id"], unique_where="kind = 'dm'") == []  # the same thread again: skipped


def test_rows_must_share_their_columns(app, factory):
    account = factory.account()
    with pytest.raises(ValueError, match="same columns"):
        insert_rows(Contact, [{"workspace_id": account.workspace_id, "account_id": account.id, "igsid": "1"},
                              {"workspace_id": account.workspace_id, "account_id": account.id}], ["account_id", "igsid"])
