"""The inbox pages over HTTP: full pages and htmx fragments, filters in the URL, pagination,
reading, and what staff do to a conversation."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.inbox.live import ListState
from app.models import Conversation, Note, utcnow
from tests.meta_kit import HX, graph_url


@pytest.fixture
def setup(factory, auth):
    ws = factory.workspace("Shop")
    user = factory.user(ws, name="Maya Agent")
    colleague = factory.user(ws, name="Bob Seller", role="agent")
    account = factory.account(ws, username="acme.store")
    now = utcnow()
    ann = factory.conversation(account, contact=factory.contact(account, name="Ann O'Neil", username="ann_oneil"),
                               last_message_at=now - timedelta(minutes=1), unread_count=2,
                               last_message_preview="Hello there", last_inbound_at=now - timedelta(minutes=1))
    factory.message(ann, "Hello there", created_at=now - timedelta(minutes=1))
    bob = factory.conversation(account, contact=factory.contact(account, name="Bruno", username="brunod"),
                               last_message_at=now - timedelta(minutes=5), status="resolved", assignee_id=user.id,
                               last_inbound_at=now - timedelta(minutes=5))
    auth.login(user)

    class Setup:
        pass

    Setup.user, Setup.colleague, Setup.account, Setup.ann, Setup.bob, Setup.workspace = user, colleague, account, ann, bob, ws
    return Setup


def body(response) -> str:
    return response.get_data(as_text=True)


def test_inbox_is_a_full_page_or_a_fragment(client, setup):
    page = client.get("/")
    assert page.status_code == 200
    html = body(page)
    assert "<html" in html and 'id="conversation-list"' in html and 'id="live"' in html
    assert "Ann O&#39;Neil" in html and "@ann_oneil" in html
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/?view=unread", headers=HX)
    html = body(fragment)
    assert "<html" not in html and 'id="conversation-list"' in html
    assert f'id="conv-{setup.ann.id}"' in html and f'id="conv-{setup.bob.id}"' not in html
    assert fragment.headers["HX-Push-Url"] == "/?view=unread"
    # A history restore needs the whole page.
    restore = client.get("/?view=unread", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in body(restore)


def test_conversation_page_and_fragment(client, setup):
    page = client.get(f"/conversations/{setup.ann.id}?q=ann")
    html = body(page)
    assert page.status_code == 200 and "<html" in html
    assert 'id="thread-view"' in html and 'id="composer-text"' in html and "Hello there" in html
    assert 'value="ann"' in html  # the filters render with the conversation
    fragment = client.get(f"/conversations/{setup.bob.id}", headers={**HX, "HX-Target": "thread"})
    html = body(fragment)
    assert "<html" not in html and 'id="thread-view"' in html and 'id="conversation-list"' not in html
    assert 'id="unread-badge"' in html and 'hx-swap-oob="true"' in html  # the badge comes along


@pytest.mark.parametrize("conversations, each, shown", [
    (3, 33, "99"),     # a few conversations, the exact total
    (3, 40, "99+"),    # few conversations, many messages
    (105, 1, "99+"),   # more unread conversations than the badge counts
])
def test_the_unread_badge_is_exact_up_to_99_and_says_99_plus_past_it(client, setup, factory, conversations, each, shown):
    from app.inbox.actions import mark_read
    from app.inbox.queries import unread_total

    mark_read(db.session.get(Conversation, setup.ann.id), setup.user)  # the fixture's own unread
    for _ in range(conversations):
        factory.conversation(setup.account, unread_count=each)
    html = body(client.get("/"))
    assert re.search(rf'id="unread-badge"[^>]*data-count="{re.escape(shown)}"', html)
    assert f"<title>({shown}) Inbox" in html
    total = unread_total(setup.user)
    assert total == conversations * each if shown == "99" else total > 99


def test_opening_marks_read_and_updates_the_badge(client, setup, auth):
    html = body(client.get("/"))
    assert re.search(r'id="unread-badge"[^>]*data-count="2"', html)
    assert "<title>(2) Inbox" in html
    html = body(client.get(f"/conversations/{setup.ann.id}", headers=HX))
    # The GET changes nothing (F-20); the thread it shows asks to be marked read once on screen.
    db.session.expire_all()
    assert db.session.get(Conversation, setup.ann.id).unread_count == 2
    assert re.search(r'id="thread-read"[^>]*hx-post="/conversations/%d/read[^"]*"\s+hx-trigger="load, mark-read"'
                     % setup.ann.id, html)
    html = body(auth.post(f"/conversations/{setup.ann.id}/read", htmx=True))
    assert re.search(r'id="unread-badge"[^>]*data-count="0"', html)
    db.session.expire_all()
    assert db.session.get(Conversation, setup.ann.id).unread_count == 0
    html = body(client.get(f"/conversations/{setup.ann.id}", headers=HX))
    assert 'hx-trigger="mark-read"' in html  # nothing unread: no request on load


def test_opening_a_conversation_reads_its_notifications_with_nothing_unread(client, setup, auth):
    """A mention in a note (or an assignment) with no unread message: the bell kept it unread
    after the person had read it in the thread (found by a walk-through); opening it reads it."""
    from app.models import Notification
    from app.notifications.create import notify

    auth.post(f"/conversations/{setup.ann.id}/read", htmx=True)
    [row] = notify(setup.ann.workspace_id, "mention", [setup.user.id], text_="Bob mentioned you",
                   conversation_id=setup.ann.id)
    db.session.commit()
    html = body(client.get(f"/conversations/{setup.ann.id}", headers=HX))
    assert re.search(r'id="thread-read"[^>]*\s+hx-trigger="load, mark-read"', html)
    auth.post(f"/conversations/{setup.ann.id}/read", htmx=True)
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is not None
    html = body(client.get(f"/conversations/{setup.ann.id}", headers=HX))
    assert 'hx-trigger="mark-read"' in html


def test_bad_filter_values_are_ignored_with_a_notice(client, setup):
    html = body(client.get("/?status=bogus&view=weird&account=x"))
    assert "Unknown status “bogus” was ignored." in html
    assert "Unknown view “weird” was ignored." in html
    assert "Unknown account “x” was ignored." in html
    assert f'id="conv-{setup.ann.id}"' in html


def test_filter_form_keeps_the_open_conversation_in_the_url(client, setup):
    response = client.get(f"/?q=ann&open={setup.ann.id}", headers=HX)
    assert response.headers["HX-Push-Url"] == f"/conversations/{setup.ann.id}?q=ann"
    plain = client.get(f"/?q=ann&open={setup.ann.id}")
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/conversations/{setup.ann.id}?q=ann")


def test_search_without_results(client, setup):
    html = body(client.get("/?q=zzz"))
    assert "No conversation matches “zzz”" in html


def test_no_accounts_then_no_conversations(client, factory, auth):
    user = factory.user(factory.workspace("Empty"))
    auth.login(user)
    html = body(client.get("/"))
    assert "Connect your first Instagram account" in html and 'href="/accounts"' in html
    factory.account(user.workspace)
    assert "No conversations yet" in body(client.get("/"))


def test_list_pages_load_more(client, setup, factory):
    for i in range(35):
        factory.conversation(setup.account, last_message_at=utcnow() - timedelta(hours=1, minutes=i))
    html = body(client.get("/"))
    assert html.count('class="convlist__item"') == 30
    cursor = re.search(r'hx-get="/\?cursor=([^"&]+)', html).group(1)
    more = body(client.get(f"/?cursor={cursor}", headers=HX))
    assert more.count('class="convlist__item"') == 7 and "data-more" not in more
    assert client.get("/?cursor=garbage", headers=HX).status_code == 400
    # Without htmx a cursor link goes back to the list's first page.
    assert client.get(f"/?cursor={cursor}").status_code == 302


def test_older_messages(client, setup, factory):
    base = utcnow() - timedelta(days=3)
    for i in range(60):
        factory.message(setup.bob, f"old message {i}", created_at=base + timedelta(minutes=i))
    html = body(client.get(f"/conversations/{setup.bob.id}"))
    assert "old message 59" in html and "old message 9<" not in html
    before = re.search(r'hx-get="/conversations/\d+/older\?before=([^"]+)"', html).group(1)
    older = body(client.get(f"/conversations/{setup.bob.id}/older?before={before}", headers=HX))
    assert "old message 9<" in older and "old message 10<" not in older and 'id="older-loader"' not in older
    assert client.get(f"/conversations/{setup.bob.id}/older?before=nope", headers=HX).status_code == 400


def test_notes_are_interleaved_in_time_order(client, setup):
    db.session.add(Note(conversation_id=setup.ann.id, author_id=setup.user.id, body="Call back <b>today</b>",
                        created_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    html = body(client.get(f"/conversations/{setup.ann.id}"))
    thread = html[html.index('id="thread-messages"'):]
    assert thread.index("Call back &lt;b&gt;today&lt;/b&gt;") < thread.index("Hello there")
    assert "Private note · Maya Agent" in html


def test_add_note(auth, setup):
    response = auth.post(f"/conversations/{setup.ann.id}/notes", {"text": "  VIP <script>  "}, htmx=True)
    assert response.status_code == 200
    assert "VIP &lt;script&gt;" in body(response) and 'class="bubble bubble--note"' in body(response)
    note = db.session.query(Note).one()
    assert note.body == "VIP <script>" and note.author_id == setup.user.id
    empty = auth.post(f"/conversations/{setup.ann.id}/notes", {"text": "   "}, htmx=True)
    assert empty.status_code == 422 and "a note cannot be empty" in body(empty)
    plain = auth.post(f"/conversations/{setup.ann.id}/notes", {"text": "no js"})
    assert plain.status_code == 302


def test_assign(auth, setup, factory):
    url = f"/conversations/{setup.ann.id}/assign"
    response = auth.post(url, {"assignee": "me"}, htmx=True)
    assert response.status_code == 200 and "Assigned to Maya Agent." in body(response)
    assert f'id="conv-{setup.ann.id}"' in body(response)  # the list row comes along out of band
    assert db.session.get(Conversation, setup.ann.id).assignee_id == setup.user.id
    auth.post(url, {"assignee": str(setup.colleague.id)}, htmx=True)
    db.session.expire_all()
    assert db.session.get(Conversation, setup.ann.id).assignee_id == setup.colleague.id
    auth.post(url, {"assignee": "none"}, htmx=True)
    db.session.expire_all()
    assert db.session.get(Conversation, setup.ann.id).assignee_id is None
    stranger = factory.user(factory.workspace("Other"))
    refused = auth.post(url, {"assignee": str(stranger.id)}, htmx=True)
    assert refused.status_code == 422 and "no such user in this workspace" in body(refused)
    garbage = auth.post(url, {"assignee": "1; drop"}, htmx=True)
    assert garbage.status_code == 422 and "Choose someone from the list." in body(garbage)
    plain = auth.post(url, {"assignee": "me"})
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/conversations/{setup.ann.id}")


def test_status_changes(auth, setup):
    url = f"/conversations/{setup.ann.id}/status"
    assert "Conversation resolved." in body(auth.post(url, {"status": "resolved"}, htmx=True))
    assert db.session.get(Conversation, setup.ann.id).status == "resolved"
    assert "Conversation reopened." in body(auth.post(url, {"status": "open"}, htmx=True))
    assert "Marked as pending." in body(auth.post(url, {"status": "pending"}, htmx=True))
    refused = auth.post(url, {"status": "closed"}, htmx=True)
    assert refused.status_code == 422 and "status must be one of" in body(refused)
    assert auth.post(url, {"status": "snoozed"}, htmx=True).status_code == 422


def test_snooze_presets_use_the_viewers_time_zone(auth, client, setup):
    client.set_cookie("tz", "America/New_York")
    url = f"/conversations/{setup.ann.id}/snooze"
    response = auth.post(url, {"preset": "tomorrow"}, htmx=True)
    assert response.status_code == 200 and "Snoozed until" in body(response)
    conversation = db.session.get(Conversation, setup.ann.id)
    assert conversation.status == "snoozed"
    assert conversation.snoozed_until.hour in (13, 14)  # 9:00 in New York, in UTC
    for preset, hours in (("1h", 1), ("nextweek", None)):
        auth.post(url, {"preset": preset}, htmx=True)
        db.session.expire_all()
        until = db.session.get(Conversation, setup.ann.id).snoozed_until
        if hours:
            assert abs((until - utcnow()) - timedelta(hours=1)) < timedelta(minutes=1)
        else:
            assert until.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).weekday() == 0
    custom = (utcnow() + timedelta(days=2)).astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    auth.post(url, {"until": custom.strftime("%Y-%m-%dT%H:%M")}, htmx=True)
    db.session.expire_all()
    assert abs(db.session.get(Conversation, setup.ann.id).snoozed_until - custom.replace(second=0, microsecond=0)) < timedelta(seconds=1)
    for bad, message in (({"until": "2020-01-01T10:00"}, "snooze time must be in the future"),
                         ({"until": "yesterday"}, "The snooze time is not a valid date and time."),
                         ({"preset": "someday"}, "Unknown snooze choice."),
                         ({}, "choose until when to snooze")):
        refused = auth.post(url, bad, htmx=True)
        assert refused.status_code == 422 and message in body(refused), bad


def test_mark_unread_leaves_the_conversation(auth, setup):
    response = auth.post(f"/conversations/{setup.bob.id}/unread?view=mine", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/?view=mine"
    assert "Select a conversation" in body(response)
    from app.inbox.unread import count_for

    assert count_for(setup.user.id, setup.bob.id) == 1 and count_for(setup.colleague.id, setup.bob.id) == 0


def test_actions_need_csrf_and_stay_in_the_workspace(client, auth, setup, factory):
    assert client.post(f"/conversations/{setup.ann.id}/status", data={"status": "resolved"}).status_code == 400
    other = factory.conversation(factory.account(factory.workspace("Other")))
    for path, data in (("assign", {"assignee": "me"}), ("status", {"status": "resolved"}), ("snooze", {"preset": "1h"}),
                       ("unread", {}), ("read", {}), ("notes", {"text": "x"})):
        assert auth.post(f"/conversations/{other.id}/{path}", data, htmx=True).status_code == 404, path
    assert client.get(f"/conversations/{other.id}/older", headers=HX).status_code == 404


def test_session_expiry_answers_htmx_with_a_redirect(app, setup):
    from flask import g

    g.pop("_login_user", None)  # the test's app context outlives requests; a browser has no such memory
    anonymous = app.test_client()
    response = anonymous.get("/inbox/changes?since=x", headers=HX)
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"
    assert anonymous.get("/").status_code == 302


def test_list_state_token_round_trip():
    state = ListState(mark=utcnow(), fingerprint="abc")
    assert ListState.from_token(state.token()) == state


def test_a_get_sends_no_seen_receipt_the_pages_post_sends_one(client, auth, setup, meta):
    """F-20: a cross-site link can make a GET, so opening a conversation tells Instagram nothing;
    the POST the page makes once the thread is on screen sends the one receipt."""
    import json

    meta.post(graph_url(setup.account.ig_user_id, "messages"), json={"recipient_id": "r"})
    client.get(f"/conversations/{setup.ann.id}")
    client.get(f"/conversations/{setup.ann.id}", headers=HX)
    assert len(meta.calls) == 0
    auth.post(f"/conversations/{setup.ann.id}/read", htmx=True)   # two unread: a receipt
    auth.post(f"/conversations/{setup.ann.id}/read", htmx=True)   # nothing new: none
    auth.post(f"/conversations/{setup.bob.id}/read", htmx=True)   # never unread: none
    bodies = [json.loads(call.request.body) for call in meta.calls]
    assert bodies == [{"recipient": {"id": setup.ann.contact.igsid}, "sender_action": "mark_seen"}]


def test_ids_beyond_32_bits_are_refused_not_errors(client, auth, setup, factory):
    """PostgreSQL refuses to compare an integer column with a larger number: checked first."""
    huge = str(2**31)
    assert client.get(f"/conversations/{huge}").status_code == 404
    assert client.get(f"/conversations/{huge}/older", headers=HX).status_code == 404
    assert "Unknown account" in body(client.get(f"/?account={huge}"))
    refused = auth.post(f"/conversations/{setup.ann.id}/assign", {"assignee": huge}, htmx=True)
    assert refused.status_code == 422
    assert client.get(f"/?q=a&open={huge}", headers=HX).headers["HX-Push-Url"] == "/?q=a"
    from app.inbox.live import ThreadState

    since = re.search(r'id="live-since" name="since" value="([^"]+)"', body(client.get("/"))).group(1)
    forged = ThreadState(2**31, 2**40, None, utcnow()).token()
    assert client.get(f"/inbox/changes?since={since}&thread={forged}", headers=HX).status_code == 204
    assert "Unknown owner" in body(client.get(f"/leads?owner={huge}"))
    lead = factory.lead(setup.ann)
    assert auth.post(f"/leads/{lead.id}/owner", {"owner_id": huge}, htmx=True).status_code == 422


def test_the_viewers_zone_is_worked_out_once_per_request_and_again_after_a_change(app, setup):
    """A list page asks for the zone of every time it shows (app.inbox.localtime.user_zone): it is
    worked out once per request, and again after `forget_zone` (a changed profile or workspace
    zone, a sign-in), so nothing in the same request is shown in the old zone."""
    from zoneinfo import ZoneInfo

    from flask_login import login_user

    from app.inbox.localtime import forget_zone, user_zone

    setup.user.timezone = "Asia/Tokyo"
    db.session.commit()
    with app.test_request_context("/", headers={"Cookie": "tz=America/New_York"}):
        login_user(setup.user)
        assert user_zone() == ZoneInfo("Asia/Tokyo")
        setup.user.timezone = None
        assert user_zone() == ZoneInfo("Asia/Tokyo")  # the request's answer, kept
        forget_zone()
        assert user_zone() == ZoneInfo("America/New_York")  # the browser's, now that the profile has none
    with app.test_request_context("/api/v1/conversations"):
        login_user(setup.user)
        assert user_zone() == __import__("datetime").timezone.utc  # the API speaks UTC
