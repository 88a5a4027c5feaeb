"""Per-person unread (app.inbox.unread): ingestion adds to every active member's own count in one
statement, reading and "mark unread" touch only the reader's row, and the team's "seen" receipt
still goes once."""
from __future__ import annotations

import json

import pytest
import responses
from sqlalchemy import event, select

from app.extensions import db
from app.inbox import actions, unread
from app.inbox.queries import unread_total
from app.instagram import payloads as p
from app.models import Conversation, ConversationUnread, utcnow
from tests.webhooks.conftest import graph  # noqa: F401  (autouse: profile lookups answer like Meta)
from tests.webhooks.helpers import post

C1, C2 = "6543210987654321", "6543210987650000"


@pytest.fixture
def team(factory):
    ws = factory.workspace("Shop")

    class Team:
        maya = factory.user(ws, name="Maya")
        bob = factory.user(ws, name="Bob", role="agent")
        gone = factory.user(ws, name="Gone", role="agent")
        stranger = factory.user(factory.workspace("Elsewhere"), name="Stranger")
        account = factory.account(ws, username="shop")
    Team.gone.active = False
    db.session.commit()
    return Team


def now_ms(offset_s: int = 0) -> int:
    return int(utcnow().timestamp() * 1000) + offset_s * 1000


def deliver(client, account, *items, standby=False):
    response = post(client, p.delivery(p.entry(account.ig_user_id, list(items), standby=standby)))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()


def counts() -> dict[tuple[int, int], int]:
    rows = db.session.execute(select(ConversationUnread.user_id, ConversationUnread.conversation_id,
                                     ConversationUnread.count)).all()
    return {(user_id, conversation_id): count for user_id, conversation_id, count in rows}


def test_new_messages_add_to_every_active_members_own_unread(client, team):
    ig = team.account.ig_user_id
    first, second = now_ms(-60), now_ms(-30)
    deliver(client, team.account, p.text_message(ig, C1, "m1", "Hi", first), p.text_message(ig, C1, "m2", "there?", second))
    conversation = db.session.scalar(select(Conversation))
    assert counts() == {(team.maya.id, conversation.id): 2, (team.bob.id, conversation.id): 2}  # not Gone, not Stranger
    since = db.session.scalar(select(ConversationUnread.since).where(ConversationUnread.user_id == team.maya.id))
    assert since.timestamp() == pytest.approx(first / 1000)  # the oldest unread message
    assert conversation.unread_count == 2  # the team's, for the "seen" receipt
    # A redelivery changes nothing; a third message adds one to each.
    deliver(client, team.account, p.text_message(ig, C1, "m2", "there?", second))
    deliver(client, team.account, p.text_message(ig, C1, "m3", "hello?", now_ms()))
    assert counts() == {(team.maya.id, conversation.id): 3, (team.bob.id, conversation.id): 3}


def test_echoes_and_our_own_messages_are_nobodys_unread_standby_counts(client, team):
    ig = team.account.ig_user_id
    deliver(client, team.account, p.echo(ig, C1, "e1", "Typed in the app", now_ms(-60)))
    assert counts() == {}
    # Standby (another app owned the thread) is still the customer writing: counted, as before.
    deliver(client, team.account, p.text_message(ig, C1, "m1", "Hi", now_ms()), standby=True)
    assert set(counts().values()) == {1}


def test_one_fan_out_statement_per_delivery_whatever_its_size(client, team, factory):
    for n in range(3):
        factory.user(team.maya.workspace, name=f"Rep {n}", role="agent")
    ig = team.account.ig_user_id
    statements = []

    def record(conn, cursor, statement, *args):
        if "conversation_unreads" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        deliver(client, team.account, p.text_message(ig, C1, "m1", "Hi", now_ms(-5)),
                p.text_message(ig, C2, "m2", "Hello", now_ms(-4)), p.text_message(ig, C1, "m3", "?", now_ms(-3)))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1 and statements[0].lstrip().startswith("WITH")
    assert len(counts()) == 2 * 5 and sorted(set(counts().values())) == [1, 2]


def test_reading_clears_only_my_own_unread(team, factory):
    conversation = factory.conversation(team.account, unread_count=2)
    assert counts() == {(team.maya.id, conversation.id): 2, (team.bob.id, conversation.id): 2}
    assert actions.mark_read(conversation, team.maya) is True  # nobody had read it: a receipt is owed
    assert counts() == {(team.bob.id, conversation.id): 2}
    assert db.session.get(Conversation, conversation.id).unread_count == 0
    assert actions.mark_read(conversation, team.bob) is False  # the team had read it already
    assert counts() == {}
    assert unread_total(team.maya) == 0 and unread_total(team.bob) == 0


def test_reading_moves_updated_at_only_when_my_state_changed(team, factory):
    conversation = factory.conversation(team.account, unread_count=1)
    before = db.session.get(Conversation, conversation.id).updated_at
    actions.mark_read(conversation, team.maya)
    bumped = db.session.get(Conversation, conversation.id).updated_at
    assert bumped > before  # my other devices re-render the row
    actions.mark_read(conversation, team.maya)  # nothing left to read
    assert db.session.get(Conversation, conversation.id).updated_at == bumped


def test_mark_unread_is_mine_and_keeps_a_higher_count(team, factory):
    conversation = factory.conversation(team.account)
    actions.mark_unread(conversation, team.maya)
    assert counts() == {(team.maya.id, conversation.id): 1}
    assert db.session.get(Conversation, conversation.id).unread_count == 0  # the team's is untouched
    factory.unread(factory.conversation(team.account), team.bob, count=4)
    other = db.session.scalars(select(Conversation).order_by(Conversation.id.desc())).first()
    actions.mark_unread(other, team.bob)
    assert counts()[(team.bob.id, other.id)] == 4


def test_the_badge_is_mine_exact_to_99(team, factory):
    for _ in range(3):
        factory.conversation(team.account, unread_count=40)
    factory.unread(factory.conversation(team.account), team.bob, count=5)
    assert unread_total(team.bob) == 125 and unread_total(team.maya) == 120  # "99+" either way
    for row in db.session.scalars(select(ConversationUnread).where(ConversationUnread.user_id == team.maya.id)):
        row.count = 3
    db.session.commit()
    assert unread_total(team.maya) == 9


def test_counts_are_read_for_a_page_at_once(team, factory, app):
    rows = [factory.conversation(team.account, unread_count=n) for n in (0, 1, 2)]
    with app.test_request_context():
        assert unread.prime(team.maya.id, [c.id for c in rows]) == {rows[0].id: 0, rows[1].id: 1, rows[2].id: 2}
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert [unread.count_for(team.maya.id, c.id) for c in rows] == [0, 1, 2]
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert statements == []  # the page's one query answered them all


def test_opening_sends_one_seen_receipt_for_the_team_not_one_per_person(client, auth, team, factory):
    conversation = factory.conversation(team.account, unread_count=1, last_inbound_at=utcnow())
    url = f"http://graph.test/v24.0/{team.account.ig_user_id}/messages"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as meta:
        meta.post(url, json={"recipient_id": "r"})
        auth.login(team.maya)
        auth.post(f"/conversations/{conversation.id}/read", htmx=True)
        client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
        auth.login(team.bob)
        response = auth.post(f"/conversations/{conversation.id}/read", htmx=True)
        receipts = [json.loads(call.request.body) for call in meta.calls]
    assert len(receipts) == 1 and receipts[0]["sender_action"] == "mark_seen"
    assert response.status_code == 200 and counts() == {}
