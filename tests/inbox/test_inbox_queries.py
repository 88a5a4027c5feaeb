from datetime import timedelta

import pytest
from flask_login import login_user

from app.errors import ActionRefused
from app.inbox.actions import assign, set_status
from app.inbox.queries import ConversationFilters, conversation_page, message_page
from app.models import utcnow
from app.pagination import BadCursor, decode_cursor, encode_cursor


@pytest.fixture
def as_user(app, factory):
    user = factory.user()
    ctx = app.test_request_context()
    ctx.push()
    login_user(user)
    yield user
    ctx.pop()


def test_conversation_pages_have_no_gaps_or_duplicates(factory, as_user):
    account = factory.account(as_user.workspace)
    base = utcnow()
    made = [factory.conversation(account, last_message_at=base - timedelta(minutes=i % 5)) for i in range(23)]
    seen, cursor = [], None
    while True:
        rows, cursor = conversation_page(ConversationFilters(), as_user, cursor=cursor, limit=5)
        seen.extend(r.id for r in rows)
        if cursor is None:
            break
    assert sorted(seen) == sorted(c.id for c in made)
    assert len(seen) == len(set(seen))


def test_filters_and_search(factory, as_user):
    account = factory.account(as_user.workspace)
    mine = factory.conversation(account, assignee_id=as_user.id, unread_count=2)
    resolved = factory.conversation(account, status="resolved")
    ann = factory.conversation(account, contact=factory.contact(account, name="Ann O'Neil", username="ann_shop"))
    factory.message(resolved, text="Do you ship 100% cotton?")
    ids = lambda f: {c.id for c in conversation_page(f, as_user)[0]}  # noqa: E731
    assert ids(ConversationFilters(assignee="me")) == {mine.id}
    assert ids(ConversationFilters(unread=True)) == {mine.id}
    assert ids(ConversationFilters(status="resolved")) == {resolved.id}
    assert mine.id not in ids(ConversationFilters(assignee="unassigned"))
    assert ids(ConversationFilters(q="o'neil")) == {ann.id}
    assert ids(ConversationFilters(q="@ann_")) == {ann.id}
    assert ids(ConversationFilters(q="100%")) == {resolved.id}
    assert ids(ConversationFilters(q="%")) == {resolved.id}  # a literal percent, not a wildcard
    assert ids(ConversationFilters(q="_")) == {ann.id}
    with pytest.raises(ValueError):
        conversation_page(ConversationFilters(status="bogus"), as_user)


def test_message_pages_oldest_first_within_page(factory, as_user):
    conversation = factory.conversation(factory.account(as_user.workspace))
    base = utcnow()
    for i in range(7):
        factory.message(conversation, text=f"m{i}", created_at=base + timedelta(seconds=i))
    page, older = message_page(conversation, limit=3)
    assert [m.text for m in page] == ["m4", "m5", "m6"]
    page, older = message_page(conversation, before=older, limit=3)
    assert [m.text for m in page] == ["m1", "m2", "m3"]
    page, older = message_page(conversation, before=older, limit=3)
    assert [m.text for m in page] == ["m0"] and older is None


@pytest.mark.parametrize("cursor", ["", "!!!", "bnVsbA", encode_cursor(utcnow(), 1)[:-3], "WyJ4IiwxXQ",
                                    encode_cursor(utcnow(), 0), encode_cursor(utcnow(), 2**31), None])
def test_bad_cursors(cursor):
    # Row ids are 1 .. 2**31 - 1 here as everywhere (app.scoping.valid_id).
    with pytest.raises(BadCursor):
        decode_cursor(cursor)


def test_actions_validate(factory, as_user):
    conversation = factory.conversation(factory.account(as_user.workspace))
    with pytest.raises(ActionRefused):
        set_status(conversation, "snoozed", utcnow() - timedelta(hours=1))
    set_status(conversation, "snoozed", utcnow() + timedelta(hours=1))
    assert conversation.status == "snoozed"
    set_status(conversation, "open")
    assert conversation.snoozed_until is None
    stranger = factory.user()
    with pytest.raises(ActionRefused):
        assign(conversation, stranger.id)
    assign(conversation, as_user.id)
    assert conversation.assignee_id == as_user.id
