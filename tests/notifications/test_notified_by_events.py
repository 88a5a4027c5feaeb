"""Notifications written by staff-side events (app.notifications.events), in the event's own
transaction: an assignment tells the new assignee (not someone assigning themselves) from the
page, the list's bulk action and the API alike; an account that stops working tells its admins
once per incident; pruning deletes old rows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.lifecycle import mark_reauth_required
from app.extensions import db
from app.inbox import actions
from app.models import InstagramAccount, Notification, utcnow
from app.notifications.jobs import prune_notifications
from tests.api.conftest import make_api


def rows(**where) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(db.session.scalars(query))


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Shop")

    class Shop:
        maya = factory.user(ws, name="Maya")
        bob = factory.user(ws, name="Bob", role="agent")
        account = factory.account(ws, username="shop")
        conversation = factory.conversation(account, contact=factory.contact(account, name="Priya"))
    return Shop


def test_assigning_tells_the_assignee_in_the_same_commit_and_not_when_they_assign_themselves(client, auth, shop):
    auth.login(shop.maya)
    assert auth.post(f"/conversations/{shop.conversation.id}/assign", {"assignee": str(shop.bob.id)}).status_code == 302
    [told] = rows()
    assert (told.user_id, told.type, told.conversation_id, told.actor_id) == (shop.bob.id, "assigned", shop.conversation.id, shop.maya.id)
    assert told.text == "Maya assigned you the conversation with Priya."
    # Assigning it to myself, unassigning, or assigning it again to the same person: nobody is told.
    auth.post(f"/conversations/{shop.conversation.id}/assign", {"assignee": "me"})
    auth.post(f"/conversations/{shop.conversation.id}/assign", {"assignee": "none"})
    assert len(rows()) == 1


def test_a_customer_instagram_gave_no_name_is_a_customer_not_a_placeholder(client, auth, shop, factory):
    """Before the profile lookup a nameless customer is "a new customer"; after one that found no
    name or username, "a customer": never the placeholder "Instagram user"."""
    nameless = factory.conversation(shop.account, contact=factory.contact(shop.account, profile_fetched_at=utcnow()))
    auth.login(shop.maya)
    auth.post(f"/conversations/{nameless.id}/assign", {"assignee": str(shop.bob.id)})
    assert [n.text for n in rows(conversation_id=nameless.id)] == ["Maya assigned you the conversation with a customer."]


def test_a_refused_assignment_leaves_no_notification(client, auth, shop, factory):
    auth.login(shop.maya)
    stranger = factory.user(name="Stranger")
    answer = auth.post(f"/conversations/{shop.conversation.id}/assign", {"assignee": str(stranger.id)})
    assert answer.status_code in (302, 422)
    assert rows() == []


def test_the_notification_is_rolled_back_with_its_assignment(app, shop, monkeypatch):
    def failing_commit():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        actions.assign(shop.conversation, shop.bob.id, shop.maya)
    monkeypatch.undo()
    db.session.rollback()
    assert rows() == [] and db.session.get(type(shop.conversation), shop.conversation.id).assignee_id is None


def test_a_bulk_assignment_tells_once_per_conversation_with_few_queries(client, auth, shop, factory):
    auth.login(shop.maya)
    others = [factory.conversation(shop.account) for _ in range(3)]
    ids = [shop.conversation.id] + [c.id for c in others]
    answer = auth.post("/conversations/bulk", {"action": "assign", "assignee": str(shop.bob.id), "ids": [str(i) for i in ids]})
    assert answer.status_code in (200, 302, 303), answer.get_data(as_text=True)
    told = rows(user_id=shop.bob.id)
    assert sorted(n.conversation_id for n in told) == sorted(ids)
    assert {(n.type, n.actor_id, n.channels) for n in told} == {("assigned", shop.maya.id, told[0].channels)}


def test_the_api_assignment_tells_the_assignee_as_the_token_owner(app, client, shop):
    api = make_api(app, client, shop.maya)
    answer = api.patch(f"/conversations/{shop.conversation.id}", json={"assignee_id": shop.bob.id})
    assert answer.status_code == 200
    [told] = rows()
    assert (told.user_id, told.actor_id) == (shop.bob.id, shop.maya.id)


def test_an_account_needing_reconnection_tells_its_admins_once_per_incident(app, shop, factory):
    factory.user(shop.account.workspace, name="Second admin")
    for _ in range(3):  # three sends failing with 190
        mark_reauth_required(shop.account.id, "Instagram no longer accepts the token.")
        db.session.commit()
    told = rows(type="account_attention")
    assert sorted(n.user_id for n in told) != [] and shop.bob.id not in {n.user_id for n in told}
    assert len(told) == 2 and all(n.account_id == shop.account.id and "@shop" in n.text for n in told)
    # Reconnected, then dead again: a new incident.
    db.session.get(InstagramAccount, shop.account.id).status = "active"
    db.session.commit()
    mark_reauth_required(shop.account.id, "again")
    db.session.commit()
    assert len(rows(type="account_attention")) == 4
    # A disconnected account stays disconnected and tells nobody.
    db.session.get(InstagramAccount, shop.account.id).status = "disconnected"
    db.session.commit()
    mark_reauth_required(shop.account.id, "again")
    db.session.commit()
    assert len(rows(type="account_attention")) == 4
    assert db.session.get(InstagramAccount, shop.account.id).status == "disconnected"


def test_pruning_deletes_read_ones_after_30_days_and_any_after_90(shop):
    now = utcnow()

    def row(age_days, read):
        n = Notification(workspace_id=shop.account.workspace_id, user_id=shop.bob.id, type="assigned",
                         created_at=now - timedelta(days=age_days), read_at=now if read else None)
        db.session.add(n)
        return n

    kept = [row(29, True), row(31, False), row(89, False), row(1, False)]
    row(31, True), row(91, False), row(120, True)
    db.session.commit()
    kept_ids = sorted(n.id for n in kept)
    assert prune_notifications() == 3
    assert [n.id for n in rows()] == kept_ids
    assert prune_notifications() == 0
