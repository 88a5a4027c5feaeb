"""A snoozed conversation whose time comes is back where someone sees it: unread for its assignee,
or for every active member when nobody is assigned (it was reopened with nothing else to show)."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.inbox.unread import count_for
from app.jobs.upkeep import wake_snoozed_conversations
from app.models import Conversation, utcnow


def test_the_woken_conversation_is_unread_for_whoever_follows_it(app, factory):
    ws = factory.workspace("Wake Shop")
    maya = factory.user(ws, email="maya@wake.test", role="agent")
    bob = factory.user(ws, email="bob@wake.test", role="agent")
    gone = factory.user(ws, email="gone@wake.test", role="agent")
    gone.active = False
    stranger = factory.user(factory.workspace("Elsewhere"), email="x@else.test")
    account = factory.account(ws, username="wake.shop")
    past, later = utcnow() - timedelta(minutes=1), utcnow() + timedelta(hours=1)
    mine = factory.conversation(account, status="snoozed", snoozed_until=past, assignee_id=maya.id)
    nobodys = factory.conversation(account, status="snoozed", snoozed_until=past)
    sleeping = factory.conversation(account, status="snoozed", snoozed_until=later, assignee_id=maya.id)
    read_before = factory.conversation(account, status="snoozed", snoozed_until=past, assignee_id=bob.id,
                                       unread_count=2)  # Bob has 2 unread there already: kept
    formers = factory.conversation(account, status="snoozed", snoozed_until=past, assignee_id=gone.id)
    db.session.commit()
    ids = mine.id, nobodys.id, sleeping.id, read_before.id
    formers_id = formers.id

    assert wake_snoozed_conversations() == 4
    db.session.expire_all()
    mine_id, nobodys_id, sleeping_id, read_before_id = ids
    assert db.session.get(Conversation, mine_id).status == "open"
    assert (count_for(maya.id, mine_id), count_for(bob.id, mine_id)) == (1, 0)
    assert (count_for(maya.id, nobodys_id), count_for(bob.id, nobodys_id)) == (1, 1)
    assert count_for(gone.id, nobodys_id) == 0 and count_for(stranger.id, nobodys_id) == 0
    assert count_for(maya.id, sleeping_id) == 0
    assert count_for(bob.id, read_before_id) == 2
    # A former member's conversation is the team's: everyone sees it back, not only them.
    assert (count_for(maya.id, formers_id), count_for(bob.id, formers_id), count_for(gone.id, formers_id)) == (1, 1, 0)

    assert wake_snoozed_conversations() == 0  # nothing twice
