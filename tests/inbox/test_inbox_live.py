"""The live poll (GET /inbox/changes) and the cost of the inbox pages in SQL statements."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import template_rendered
from sqlalchemy import event, select

from app.extensions import db
from app.inbox import unread
from app.inbox.live import OVERLAP, ListState, ThreadState
from app.models import Conversation, Message, Note, User, utcnow
from tests.meta_kit import HX


@contextmanager
def counting_statements():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def rendered_templates(app):
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def receive(conversation_id: int, text: str) -> Message:
    """What ingestion does for an inbound DM: the message, and the conversation bumped."""
    now = utcnow()
    conversation = db.session.get(Conversation, conversation_id)
    message = Message(account_id=conversation.account_id, conversation_id=conversation.id, direction="in", text=text,
                      status="received", source="instagram", mid=f"mid.{now.timestamp()}", created_at=now)
    db.session.add(message)
    conversation.last_message_at = now
    conversation.last_inbound_at = now
    conversation.last_message_preview = text
    conversation.unread_count += 1
    unread.add_inbound({conversation.id: unread.NewUnread(1, now)})  # every member's own unread
    db.session.commit()
    return message


@pytest.fixture
def inbox(factory, auth):
    ws = factory.workspace("Shop")
    user = factory.user(ws, name="Maya")
    account = factory.account(ws, username="acme")
    past = utcnow() - timedelta(minutes=30)
    ann = factory.conversation(account, contact=factory.contact(account, name="Ann"), last_message_at=past,
                               updated_at=past, created_at=past)
    factory.message(ann, "first", created_at=past)
    bob = factory.conversation(account, contact=factory.contact(account, name="Bob"), last_message_at=past,
                               updated_at=past, created_at=past, status="resolved")
    auth.login(user)
    return user, ann, bob


def page_tokens(html: str) -> tuple[str, str | None]:
    since = re.search(r'id="live-since" name="since" value="([^"]+)"', html).group(1)
    thread = re.search(r'id="thread-state" name="thread" value="([^"]+)"', html)
    return since, thread.group(1) if thread else None


def test_nothing_changed_is_204_without_rendering_and_one_query(app, client, inbox):
    since, _ = page_tokens(client.get("/").get_data(as_text=True))
    client.get(f"/inbox/changes?since={since}", headers=HX)  # warm up (session, user)
    with rendered_templates(app) as templates, counting_statements() as statements:
        response = client.get(f"/inbox/changes?since={since}", headers=HX)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert templates == []
    # The signed-in user, then the one range scan of ix_conversations_changes.
    assert len(statements) <= 2, statements
    assert "conversations" in statements[-1] and "updated_at >" in statements[-1]


def test_nothing_changed_in_the_open_thread_is_still_204(app, client, inbox):
    _, ann, _ = inbox
    since, thread = page_tokens(client.get(f"/conversations/{ann.id}").get_data(as_text=True))
    client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX)
    with rendered_templates(app) as templates, counting_statements() as statements:
        response = client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX)
    assert response.status_code == 204 and response.get_data() == b"" and templates == []
    assert len(statements) <= 3, statements


def test_a_new_message_sends_the_row_badge_and_thread(client, inbox):
    _, ann, bob = inbox
    since, thread = page_tokens(client.get(f"/conversations/{bob.id}").get_data(as_text=True))
    receive(ann.id, "Is it <b>in stock</b>?")
    response = client.get(f"/inbox/changes?since={since}&thread={thread}&open={bob.id}", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="conv-{ann.id}"' in html and "Is it &lt;b&gt;in stock&lt;/b&gt;?" in html
    assert re.search(r'id="unread-badge"[^>]*data-count="1"[^>]*hx-swap-oob="true"', html)
    assert 'id="live-rows" hx-swap-oob="innerHTML"' in html
    assert 'id="live-thread"' not in html  # the open thread (Bob) did not change
    new_since = re.search(r'id="live-since" name="since" value="([^"]+)" hx-swap-oob="true"', html).group(1)
    assert new_since != since
    assert client.get(f"/inbox/changes?since={new_since}&thread={thread}&open={bob.id}", headers=HX).status_code == 204


def test_the_open_thread_gets_new_messages_and_notes(client, inbox, factory):
    user, ann, _ = inbox
    since, thread = page_tokens(client.get(f"/conversations/{ann.id}").get_data(as_text=True))
    message = receive(ann.id, "second message")
    response = client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX)
    html = response.get_data(as_text=True)
    assert f'<div data-conversation="{ann.id}"' in html and f'id="message-{message.id}"' in html
    assert "data-unread" in html  # the browser marks it read if the staff member is looking
    new_thread = re.search(r'data-state="([^"]+)"', html).group(1)
    new_since = re.search(r'id="live-since" name="since" value="([^"]+)"', html).group(1)
    assert client.get(f"/inbox/changes?since={new_since}&thread={new_thread}&open={ann.id}", headers=HX).status_code == 204

    # A colleague's note bumps the conversation: the note arrives.
    from app.inbox.actions import add_note

    add_note(db.session.get(Conversation, ann.id), user, "Note from a colleague")
    html = client.get(f"/inbox/changes?since={new_since}&thread={new_thread}&open={ann.id}", headers=HX).get_data(as_text=True)
    assert "Note from a colleague" in html and "bubble--note" in html

    # A read receipt on the last message changes it without bumping the conversation.
    html2 = client.get(f"/conversations/{ann.id}").get_data(as_text=True)
    since2, thread2 = page_tokens(html2)
    last = db.session.get(Message, message.id)
    last.reactions = [{"emoji": "❤️", "reaction": "love", "by": "customer"}]
    db.session.commit()
    html = client.get(f"/inbox/changes?since={since2}&thread={thread2}&open={ann.id}", headers=HX).get_data(as_text=True)
    assert f'id="message-{message.id}"' in html and "❤️" in html


def test_rows_that_no_longer_match_the_filters_are_removed(client, auth, inbox):
    _, ann, bob = inbox
    since, _ = page_tokens(client.get("/?status=resolved").get_data(as_text=True))
    auth.post(f"/conversations/{bob.id}/status", {"status": "open"}, htmx=True)
    html = client.get(f"/inbox/changes?since={since}&status=resolved", headers=HX).get_data(as_text=True)
    assert f'<li id="conv-{bob.id}" data-remove></li>' in html
    # ...except the conversation that is open, which stays where the staff member is working.
    html = client.get(f"/inbox/changes?since={since}&status=resolved&open={bob.id}", headers=HX).get_data(as_text=True)
    assert f'<li id="conv-{bob.id}" data-remove>' not in html


def test_a_late_commit_inside_the_overlap_is_not_missed(client, inbox):
    _, ann, bob = inbox
    since, _ = page_tokens(client.get("/").get_data(as_text=True))
    receive(ann.id, "newest")
    first = client.get(f"/inbox/changes?since={since}", headers=HX).get_data(as_text=True)
    since = re.search(r'id="live-since" name="since" value="([^"]+)"', first).group(1)
    mark = ListState.from_token(since).mark
    # Another process took its timestamp before ours but committed after our poll.
    conversation = db.session.get(Conversation, bob.id)
    conversation.unread_count = 3
    db.session.flush()
    conversation.updated_at = mark - timedelta(seconds=2)
    db.session.commit()
    late = client.get(f"/inbox/changes?since={since}", headers=HX)
    assert late.status_code == 200 and f'id="conv-{bob.id}"' in late.get_data(as_text=True)


def test_bad_tokens_start_over(client, inbox):
    response = client.get("/inbox/changes?since=garbage&thread=also-garbage", headers=HX)
    assert response.status_code == 200
    fresh = re.search(r'id="live-since" name="since" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    assert client.get(f"/inbox/changes?since={fresh}", headers=HX).status_code == 204


def test_another_workspaces_thread_token_reveals_nothing(client, inbox, factory):
    other = factory.conversation(factory.account(factory.workspace("Other")))
    factory.message(other, "their secret")
    since, _ = page_tokens(client.get("/").get_data(as_text=True))
    forged = ThreadState(other.id, 1, utcnow(), utcnow()).token()
    response = client.get(f"/inbox/changes?since={since}&thread={forged}", headers=HX)
    html = response.get_data(as_text=True)
    assert "their secret" not in html
    # Exactly what a conversation that does not exist gets: "gone", nothing more.
    assert response.status_code == 200 and f'<div data-conversation="{other.id}" data-gone></div>' in html
    assert f'id="conv-{other.id}"' not in html


def test_overlap_is_short_enough_to_keep_polls_cheap():
    assert timedelta(seconds=5) <= OVERLAP <= timedelta(seconds=60)


def test_the_fingerprint_is_of_the_set_and_sees_one_microsecond():
    from app.inbox.live import _fingerprint

    t = utcnow()
    rows = [(7, t), (3, t + timedelta(seconds=1)), (12, t - timedelta(days=400))]
    assert _fingerprint(rows) == _fingerprint(rows[::-1])  # the poll's rows come newest first
    assert _fingerprint(rows) != _fingerprint([(7, t + timedelta(microseconds=1)), *rows[1:]])
    assert _fingerprint(rows) != _fingerprint(rows[:2])
    assert _fingerprint(rows) != _fingerprint([(8, t), *rows[1:]])


# -- Statement counts: a page costs the same whatever the data size ---------------------------

def _fill(factory, user, conversations: int, messages: int):
    account = factory.account(user.workspace)
    colleague = factory.user(user.workspace, name="Colleague")
    now = utcnow()
    rows = []
    for i in range(conversations):
        contact = factory.contact(account, name=f"Customer {i}", username=f"c{i}")
        rows.append(factory.conversation(account, contact=contact, last_message_at=now - timedelta(minutes=i),
                                         assignee_id=colleague.id if i % 2 else None, unread_count=i % 3))
    thread = rows[0]
    first = None
    for j in range(messages):
        out = j % 2 == 1
        m = factory.message(thread, f"message {j}", direction="out" if out else "in",
                            created_at=now - timedelta(minutes=messages - j),
                            sent_by_id=(user.id if j % 4 == 1 else colleague.id) if out else None,
                            reply_to_mid=first.mid if first and j % 5 == 0 else None,
                            reactions=[{"emoji": "❤️", "reaction": "love", "by": "customer"}] if j % 7 == 0 else [],
                            attachments=[{"type": "image", "url": "https://cdn.example/x.jpg"}] if j % 6 == 0 else [])
        first = first or m
        if j % 10 == 0:
            db.session.add(Note(conversation_id=thread.id, author_id=colleague.id, body=f"note {j}",
                                created_at=now - timedelta(minutes=messages - j, seconds=30)))
    db.session.commit()
    return thread


@pytest.mark.parametrize("path", ["list", "thread", "thread_fragment"])
def test_pages_cost_a_bounded_number_of_statements(app, client, factory, auth, path):
    def measure(conversations, messages):
        from app.extensions import db as _db

        user = factory.user(factory.workspace(), name="Counter")
        thread = _fill(factory, user, conversations, messages)
        auth.login(user)
        url = "/" if path == "list" else f"/conversations/{thread.id}"
        headers = HX if path == "thread_fragment" else {}
        client.get(url, headers=headers)  # warm up
        _db.session.expire_all()
        with counting_statements() as statements:
            response = client.get(url, headers=headers)
        assert response.status_code == 200
        client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
        return statements

    small = measure(3, 11)  # enough to include a reply, a reaction, an image and a note
    large = measure(30, 50)
    assert len(large) == len(small), f"{len(small)} statements for a small inbox:\n" + "\n".join(small) + f"\n\n{len(large)} for a large one:\n" + "\n".join(large)
    # A constant per page, whatever its size. The agent's day added four to the full thread page,
    # each one query for the whole page: the rows' labels, my unread of the rows, my drafts, and
    # the workspace's labels (the filter, the header's menu and the bulk bar share that one). The
    # list is read as a page's ids, then those rows (app.inbox.queries.conversation_page): one more.
    # An open thread with nothing unread asks whether a notification about it is (opening it reads
    # that too): one more.
    assert len(large) <= 20, "\n".join(large)


def test_an_open_conversation_deleted_meanwhile_is_reported_once(client, inbox):
    _, ann, _ = inbox
    since, thread = page_tokens(client.get(f"/conversations/{ann.id}").get_data(as_text=True))
    db.session.delete(db.session.get(Conversation, ann.id))
    db.session.commit()
    response = client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX)
    assert response.status_code == 200
    assert f'<div data-conversation="{ann.id}" data-gone></div>' in response.get_data(as_text=True)


def test_the_open_threads_waiting_line_follows_its_messages(client, inbox):
    """The header's "Waiting … customer spoke last" is its own slot, which the poll replaces when
    the open thread changes: it appears when the customer writes and goes when a person answers,
    without waiting for a reload."""
    _, ann, _ = inbox
    since, thread = page_tokens(client.get(f"/conversations/{ann.id}").get_data(as_text=True))
    received = receive(ann.id, "Still there?")
    conversation = db.session.get(Conversation, ann.id)
    conversation.waiting_since, conversation.last_speaker = received.created_at, "customer"
    db.session.commit()
    html = client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX).get_data(as_text=True)
    assert '<template data-thread-status><div id="thread-status">' in html and "customer spoke last" in html

    since, thread = page_tokens(client.get(f"/conversations/{ann.id}").get_data(as_text=True))
    answered = receive(ann.id, "Yes, how can I help?")
    conversation = db.session.get(Conversation, ann.id)
    answered.direction, answered.source = "out", "inbox"
    conversation.waiting_since, conversation.last_speaker = None, "team"
    db.session.commit()
    html = client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX).get_data(as_text=True)
    assert '<template data-thread-status><div id="thread-status"></div></template>' in html


def test_the_header_comes_along_only_when_the_conversation_changed(client, inbox):
    """A change to the conversation (its row bumped: a customer's message, a teammate's action)
    brings the open thread's header and reply window; an edit or a delivery tick changes only the
    message, and the poll leaves the header out (it lists every teammate and label: most of a
    changed poll's bytes)."""
    _, ann, _ = inbox
    since, thread = page_tokens(client.get(f"/conversations/{ann.id}").get_data(as_text=True))
    receive(ann.id, "Still there?")
    html = client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX).get_data(as_text=True)
    assert "<template data-thread-header>" in html and "<template data-reply-window>" in html

    since, thread = page_tokens(client.get(f"/conversations/{ann.id}").get_data(as_text=True))
    last = db.session.scalars(select(Message).where(Message.conversation_id == ann.id)
                              .order_by(Message.id.desc())).first()
    last.text = "Still there??"  # edited: the message changes, its conversation does not
    db.session.commit()
    html = client.get(f"/inbox/changes?since={since}&thread={thread}&open={ann.id}", headers=HX).get_data(as_text=True)
    assert 'id="live-thread"' in html and "<template data-thread-header>" not in html
