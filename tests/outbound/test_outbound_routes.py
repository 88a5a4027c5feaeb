"""The web routes: htmx fragments, plain-form fallbacks, refusals, CSRF, workspace isolation."""
from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Message, Upload, utcnow
from tests.meta_kit import HX, graph_error, sent_ok
from tests.outbound import helpers as files
from tests.outbound.helpers import refetch, sent_bodies

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff(auth, world):
    auth.login(world.user, password=PASSWORD)
    return auth


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def bubble_id(html: str) -> int:
    return int(re.search(r'id="message-(\d+)"', html).group(1))


# -- Replying ---------------------------------------------------------------------------------

def test_htmx_reply_returns_the_pending_bubble_which_polls_until_sent(app, client, staff, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.web"))

    response = staff.post(f"/conversations/{world.conversation.id}/messages", {"text": "Hello <b>friend</b>"},
                          htmx=True)

    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<li") and html.count("<li") == 1
    assert "bubble bubble--out bubble--pending" in html
    assert 'hx-trigger="every 2s"' in html
    assert "Hello &lt;b&gt;friend&lt;/b&gt;" in html and "<b>friend" not in html
    assert "reply-queued" in response.headers["HX-Trigger"]
    assert "HX-Request" in response.headers["Vary"]
    message_id = bubble_id(html)

    # The job ran after the response was rendered; the next poll shows it sent and stops polling.
    status = client.get(f"/messages/{message_id}/status", headers=HX)
    assert status.status_code == 200
    status_html = status.get_data(as_text=True)
    assert "bubble--sent" in status_html and "hx-trigger" not in status_html
    assert refetch(Message, message_id).mid == "mid.web"
    assert sent_bodies(meta) == [{"recipient": {"id": world.igsid}, "message": {"text": "Hello <b>friend</b>"}}]


def test_failed_bubble_shows_the_reason_and_retry_and_delete(app, client, staff, world, meta):
    meta.post(world.messages_url, **graph_error(551))
    response = staff.post(f"/conversations/{world.conversation.id}/messages", {"text": "hi"}, htmx=True)
    message_id = bubble_id(response.get_data(as_text=True))

    html = client.get(f"/messages/{message_id}/status").get_data(as_text=True)
    assert "bubble--failed" in html and "hx-trigger" not in html
    assert "isn&#39;t available" in html
    assert f'hx-post="/messages/{message_id}/retry"' in html and f'hx-post="/messages/{message_id}/delete"' in html
    assert 'name="csrf_token"' in html  # the forms also work without JavaScript


def test_uncertain_failure_asks_before_retrying(app, client, staff, world, meta):
    import requests

    meta.post(world.messages_url, body=requests.exceptions.ReadTimeout("read timed out"))
    response = staff.post(f"/conversations/{world.conversation.id}/messages", {"text": "hi"}, htmx=True)
    html = client.get(f"/messages/{bubble_id(response.get_data(as_text=True))}/status").get_data(as_text=True)
    assert "may not have been delivered" in html and "hx-confirm=\"This message may already" in html


def test_plain_form_reply_redirects_back_to_the_conversation(app, client, staff, world, meta):
    meta.post(world.messages_url, **sent_ok())
    response = staff.post(f"/conversations/{world.conversation.id}/messages", {"text": "no js"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conversations/{world.conversation.id}")
    assert count(Message) == 1


def test_reply_with_a_file(app, client, staff, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.file"))
    response = staff.post(f"/conversations/{world.conversation.id}/messages",
                          {"text": "", "file": (BytesIO(files.PDF), "Quote 2024.pdf", "application/pdf")}, htmx=True)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "bubble__attachment--file" in html and "Quote_2024.pdf" in html
    url = sent_bodies(meta)[0]["message"]["attachment"]["payload"]["url"]
    assert url.startswith("http://inbox.test/media/")
    assert client.get(url.removeprefix("http://inbox.test")).data == files.PDF


def test_refused_htmx_reply_is_a_422_fragment_for_the_composer(app, client, staff, world, meta):
    response = staff.post(f"/conversations/{world.conversation.id}/messages", {"text": "é" * 600}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#composer-error"
    assert response.headers["HX-Reswap"] == "innerHTML"
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "1,200 bytes" in html and 'data-code="too_long"' in html
    assert count(Message) == 0 and len(meta.calls) == 0


def test_refused_plain_reply_flashes_and_redirects(app, client, staff, world, meta):
    world.conversation.last_inbound_at = utcnow() - timedelta(days=10)
    db.session.commit()
    response = staff.post(f"/conversations/{world.conversation.id}/messages", {"text": "late"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "More than 7 days have passed" in page
    assert count(Message) == 0


def test_fake_png_upload_is_refused(app, client, staff, world, meta):
    response = staff.post(f"/conversations/{world.conversation.id}/messages",
                          {"file": (BytesIO(files.ZIP), "cat.png", "image/png")}, htmx=True)
    assert response.status_code == 422
    assert "can&#39;t be sent on Instagram" in response.get_data(as_text=True)
    assert count(Message) == 0 and count(Upload) == 0


def test_upload_over_the_request_limit_gets_a_readable_refusal(app, client, staff, world, meta):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = staff.post(f"/conversations/{world.conversation.id}/messages",
                          {"file": (BytesIO(files.PNG + bytes(8192)), "big.png", "image/png")}, htmx=True)
    assert response.status_code == 422
    assert "larger than 25 MB" in response.get_data(as_text=True)
    assert count(Message) == 0


# -- Actions on a message ---------------------------------------------------------------------

def failed_message(world, meta, staff) -> int:
    meta.post(world.messages_url, **graph_error(551))
    response = staff.post(f"/conversations/{world.conversation.id}/messages", {"text": "again"}, htmx=True)
    return bubble_id(response.get_data(as_text=True))


def test_retry_route(app, client, staff, world, meta):
    message_id = failed_message(world, meta, staff)
    meta.post(world.messages_url, **sent_ok("mid.retry"))
    response = staff.post(f"/messages/{message_id}/retry", htmx=True)
    assert response.status_code == 200 and "bubble--pending" in response.get_data(as_text=True)
    assert refetch(Message, message_id).mid == "mid.retry"


def test_retry_refused_shows_why_in_the_bubble(app, client, staff, world, meta):
    message_id = failed_message(world, meta, staff)
    world.conversation.last_inbound_at = utcnow() - timedelta(days=8)
    db.session.commit()
    response = staff.post(f"/messages/{message_id}/retry", htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="bubble__notice"' in html and "7 days" in html


def test_delete_route(app, client, staff, world, meta):
    message_id = failed_message(world, meta, staff)
    response = staff.post(f"/messages/{message_id}/delete", htmx=True)
    assert response.status_code == 200 and response.get_data() == b""
    assert refetch(Message, message_id) is None


def test_delete_route_without_htmx_redirects(app, client, staff, world, meta):
    message_id = failed_message(world, meta, staff)
    response = staff.post(f"/messages/{message_id}/delete")
    assert response.status_code == 302 and refetch(Message, message_id) is None


def test_delete_of_a_sent_message_is_refused(app, client, staff, world, meta, factory):
    sent = factory.message(world.conversation, text="sent", direction="out")
    response = staff.post(f"/messages/{sent.id}/delete", htmx=True)
    assert response.status_code == 422 and refetch(Message, sent.id) is not None


def test_react_and_unreact_routes(app, client, staff, world, meta, factory):
    incoming = factory.message(world.conversation, text="<img src=x onerror=alert(1)>", mid="mid.in.7")
    meta.post(world.messages_url, json={"recipient_id": "r"})
    meta.post(world.messages_url, json={"recipient_id": "r"})

    response = staff.post(f"/messages/{incoming.id}/react", {"reaction": "like"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "👍" in html and "Remove reaction" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html

    response = staff.post(f"/messages/{incoming.id}/unreact", htmx=True)
    assert response.status_code == 200 and "Remove reaction" not in response.get_data(as_text=True)
    assert [b["sender_action"] for b in sent_bodies(meta)] == ["react", "unreact"]
    assert sent_bodies(meta)[0]["payload"] == {"message_id": "mid.in.7", "reaction": "like"}


def test_bad_reaction_is_a_422(app, client, staff, world, meta, factory):
    incoming = factory.message(world.conversation, text="hi", mid="mid.in.8")
    response = staff.post(f"/messages/{incoming.id}/react", {"reaction": "kiss"}, htmx=True)
    assert response.status_code == 422 and len(meta.calls) == 0


def test_inbound_attachment_urls_are_only_http(app, client, staff, world, factory):
    incoming = factory.message(world.conversation, text=None, mid="mid.in.9", attachments=[
        {"type": "image", "url": "javascript:alert(1)"}, {"type": "share", "url": "https://cdn.example/p"}])
    html = client.get(f"/messages/{incoming.id}/status").get_data(as_text=True)
    assert "javascript:" not in html and 'href="https://cdn.example/p"' in html


# -- Security ---------------------------------------------------------------------------------

def routes_for(conversation_id: int, message_id: int):
    return [
        ("post", f"/conversations/{conversation_id}/messages", {"text": "hi"}),
        ("get", f"/messages/{message_id}/status", None),
        ("post", f"/messages/{message_id}/retry", {}),
        ("post", f"/messages/{message_id}/delete", {}),
        ("post", f"/messages/{message_id}/react", {"reaction": "love"}),
        ("post", f"/messages/{message_id}/unreact", {}),
    ]


def test_other_workspaces_ids_are_404_on_every_route(app, client, staff, world, meta, factory):
    other_account = factory.account()
    other_conversation = factory.conversation(other_account, last_inbound_at=utcnow())
    other_failed = factory.message(other_conversation, text="B's secret", direction="out", status="failed",
                                   mid=None)
    for method, path, data in routes_for(other_conversation.id, other_failed.id):
        for htmx in (False, True):
            if method == "get":
                response = client.get(path, headers=HX if htmx else {})
            else:
                response = staff.post(path, data, htmx=htmx)
            assert response.status_code == 404, path
            assert "B&#39;s secret" not in response.get_data(as_text=True)
    assert refetch(Message, other_failed.id).status == "failed"
    assert count(Message) == 1 and len(meta.calls) == 0


def test_unknown_ids_are_404(app, client, staff):
    for method, path, data in routes_for(999999, 999999):
        response = client.get(path) if method == "get" else staff.post(path, data)
        assert response.status_code == 404, path


def test_csrf_is_required_on_every_state_change(app, client, staff, world, meta, factory):
    failed = factory.message(world.conversation, text="x", direction="out", status="failed", mid=None)
    for method, path, data in routes_for(world.conversation.id, failed.id):
        if method != "post":
            continue
        response = client.post(path, data=data, headers=HX)
        assert response.status_code == 400, path
    assert count(Message) == 1 and refetch(Message, failed.id).status == "failed"
    assert len(meta.calls) == 0


def test_login_is_required(app, client, auth, world, factory, meta):
    message = factory.message(world.conversation, text="x")
    token = auth.csrf_token("/login")  # a valid form, but nobody signed in
    for method, path, data in routes_for(world.conversation.id, message.id):
        if method == "get":
            response = client.get(path)
        else:
            response = client.post(path, data={**(data or {}), "csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert count(Message) == 1 and len(meta.calls) == 0


def test_media_needs_no_login(app, client, world, meta):
    from werkzeug.datastructures import FileStorage

    from app.outbound.replies import queue_reply

    meta.post(world.messages_url, **sent_ok())
    message = queue_reply(world.conversation, text=None, upload=FileStorage(BytesIO(files.PNG), filename="a.png"),
                         user=world.user)[-1]
    url = refetch(Message, message.id).attachments[0]["url"]
    response = client.get(url.removeprefix("http://inbox.test"))
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
