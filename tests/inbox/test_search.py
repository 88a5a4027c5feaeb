"""The inbox search (app.inbox.search): what matches, in both of the ways a page is found (a walk
down the list, the index set), never another workspace's conversation, highlighted with the
text escaped, and a result that opens its thread at the message, however deep."""
from datetime import timedelta

import pytest
from flask_login import login_user

from app.extensions import db
from app.inbox import queries
from app.inbox.queries import ConversationFilters, conversation_page, thread_around, thread_newer_page
from app.inbox.search import highlight, snippet
from app.models import utcnow


@pytest.fixture
def as_user(app, factory):
    user = factory.user()
    ctx = app.test_request_context()
    ctx.push()
    login_user(user)
    yield user
    ctx.pop()


def _all_pages(filters, user, limit):
    seen, cursor = [], None
    while True:
        rows, cursor = conversation_page(filters, user, cursor=cursor, limit=limit)
        seen.extend(r.id for r in rows)
        if cursor is None:
            return seen


def test_names_and_message_text_match_but_deleted_messages_do_not(factory, as_user):
    account = factory.account(as_user.workspace)
    by_name = factory.conversation(account, contact=factory.contact(account, name="Zoë Parka", username="zp"))
    by_handle = factory.conversation(account, contact=factory.contact(account, name="Ann", username="parka_fan"))
    by_text = factory.conversation(account)
    factory.message(by_text, text="Is the PARKA waterproof?")
    deleted = factory.conversation(account)
    factory.message(deleted, text="parka please", is_deleted=True)
    factory.conversation(account)
    rows, _ = conversation_page(ConversationFilters(q="parka"), as_user)
    assert {c.id for c in rows} == {by_name.id, by_handle.id, by_text.id}


@pytest.mark.parametrize("walk", [200, 0])
def test_another_workspaces_match_never_appears(factory, as_user, monkeypatch, walk):
    """Both ways: the walk down the list, and (walk 0) the index set straight away."""
    monkeypatch.setattr(queries, "SEARCH_WALK", walk)
    mine = factory.conversation(factory.account(as_user.workspace))
    factory.message(mine, text="the zebra print dress")
    other_account = factory.account(factory.workspace())
    theirs = factory.conversation(other_account, contact=factory.contact(other_account, name="Zebra Shop"))
    factory.message(theirs, text="zebra print please")
    rows, _ = conversation_page(ConversationFilters(q="zebra"), as_user)
    assert [c.id for c in rows] == [mine.id]


@pytest.mark.parametrize("walk", [200, 3, 0])
def test_search_pages_are_the_same_whichever_way_they_are_found(factory, as_user, monkeypatch, walk):
    """Ties in last_message_at, every third conversation matching: each way of finding the pages
    gives every match once, in the list's order."""
    monkeypatch.setattr(queries, "SEARCH_WALK", walk)
    account = factory.account(as_user.workspace)
    base = utcnow()
    matching = []
    for i in range(20):
        c = factory.conversation(account, last_message_at=base - timedelta(minutes=i % 4))
        if i % 3 == 0:
            factory.message(c, text=f"order {i}: blue scarf")
            matching.append(c)
        else:
            factory.message(c, text="hello")
    expected = [c.id for c in sorted(matching, key=lambda c: (c.last_message_at, c.id), reverse=True)]
    assert _all_pages(ConversationFilters(q="scarf"), as_user, limit=2) == expected


def test_the_row_marks_the_match_and_escapes_the_text(client, auth, factory):
    user = auth.login()
    account = factory.account(user.workspace)
    conversation = factory.conversation(account, contact=factory.contact(account, name="<b>Eve</b>"))
    message = factory.message(conversation, text="<script>alert(1)</script> the <i>Velvet</i> bag, velvet!")
    factory.message(conversation, text="something newer, no match")
    html = client.get("/?q=velvet").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; the &lt;i&gt;<mark>Velvet</mark>&lt;/i&gt; bag, <mark>velvet</mark>!" in html
    assert "<script>alert(1)" not in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert f"at={message.id}" in html and f"#message-{message.id}" in html
    # A name match marks the name; markup typed as the search is text too.
    html = client.get("/", query_string={"q": "<b>Eve"}).get_data(as_text=True)
    assert "<mark>&lt;b&gt;Eve</mark>&lt;/b&gt;" in html


def test_highlight_and_snippet():
    assert highlight("a <b> & B", "b") == "a &lt;<mark>b</mark>&gt; &amp; <mark>B</mark>"
    assert highlight("x.*y", ".*") == "x<mark>.*</mark>y"  # the term is text, never a pattern
    long = "word " * 40 + "needle in the middle " + "word " * 40
    cut = snippet(long, "needle")
    assert cut.startswith("…") and cut.endswith("…") and "needle in the middle" in cut and len(cut) <= 162
    # Close to the start, so the found word is on the row's one line (about 35 characters on a phone).
    assert cut.index("needle") <= 20


def test_a_result_opens_the_thread_at_its_message_deep_in_the_thread(client, auth, factory):
    user = auth.login()
    conversation = factory.conversation(factory.account(user.workspace))
    base = utcnow() - timedelta(days=1)
    messages = [factory.message(conversation, text=f"message {i}" + (" golden ticket" if i == 40 else ""),
                                created_at=base + timedelta(seconds=i)) for i in range(300)]
    target = messages[40]
    page = client.get("/?q=golden").get_data(as_text=True)
    assert f"at={target.id}" in page
    html = client.get(f"/conversations/{conversation.id}?q=golden&at={target.id}").get_data(as_text=True)
    assert f'data-focus="message-{target.id}"' in html
    assert f'id="message-{target.id}" class="bubble bubble--in bubble--received bubble--found"' in html
    assert 'id="message-299"' not in html and "message 299" not in html  # not the newest page
    assert "message 15<" in html and "message 64<" in html  # 25 before, 24 after
    assert 'id="older-loader"' in html and 'id="newer-loader"' in html
    # Another conversation's message id opens the thread as usual, at the newest.
    other = factory.message(factory.conversation(factory.account(user.workspace)), text="elsewhere")
    html = client.get(f"/conversations/{conversation.id}?at={other.id}").get_data(as_text=True)
    assert "data-focus" not in html and "message 299<" in html


def test_newer_pages_reach_the_newest_message_once_each(factory, as_user):
    conversation = factory.conversation(factory.account(as_user.workspace))
    base = utcnow() - timedelta(days=1)
    # Ties in created_at: pairs of messages at the same second.
    messages = [factory.message(conversation, text=f"m{i}", created_at=base + timedelta(seconds=i // 2))
                for i in range(57)]
    page = thread_around(conversation, messages[10].id, limit=10)
    seen = [m.id for m in page.items]
    assert page.focus == messages[10].id and page.older is not None
    cursor = page.newer
    while cursor:
        newer = thread_newer_page(conversation, cursor, limit=10)
        seen.extend(m.id for m in newer.items)
        cursor = newer.newer
    assert seen == [m.id for m in messages[5:]]


def test_newer_route_needs_a_valid_cursor_and_the_workspace(client, auth, factory):
    user = auth.login()
    conversation = factory.conversation(factory.account(user.workspace))
    hx = {"HX-Request": "true"}
    assert client.get(f"/conversations/{conversation.id}/newer?after=junk", headers=hx).status_code == 400
    theirs = factory.conversation(factory.account(factory.workspace()))
    assert client.get(f"/conversations/{theirs.id}/newer?after=junk", headers=hx).status_code == 404
    db.session.rollback()
