"""templates/inbox/_message.html renders every kind of message safely."""
from __future__ import annotations

import pytest
from flask import render_template
from flask_login import login_user

from app.models import utcnow


@pytest.fixture
def render(app, factory):
    user = factory.user(name="Maya Agent")
    conversation = factory.conversation(factory.account(user.workspace))
    ctx = app.test_request_context()
    ctx.push()
    login_user(user)

    def _render(text="Hi", replied=None, **fields):
        message = factory.message(conversation, text, **fields)
        return render_template("inbox/_message.html", message=message, replied=replied or {})

    _render.user = user
    _render.conversation = conversation
    _render.factory = factory
    yield _render
    ctx.pop()


def test_text_is_escaped_and_keeps_line_breaks(render):
    html = render("<script>alert(1)</script>\nsecond line")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line" in html
    assert 'class="bubble__text"' in html  # white-space: pre-wrap shows the line break


def test_inbound_and_outbound(render):
    assert "bubble--in" in render("hello")
    out = render("reply", direction="out", status="sent", sent_by_id=render.user.id)
    assert "bubble--out" in out and 'aria-label="Sent"' in out and "Maya Agent" in out


@pytest.mark.parametrize("status,label", [("pending", "Sending…"), ("sent", 'aria-label="Sent"'),
                                          ("delivered", 'aria-label="Delivered"'), ("read", 'aria-label="Seen"')])
def test_status_ticks(render, status, label):
    assert label in render("x", direction="out", status=status)


def test_pending_polls_its_status_and_stops_when_sent(render):
    pending = render("x", direction="out", status="pending")
    assert 'hx-get="/messages/' in pending and 'hx-trigger="every 2s"' in pending and 'hx-swap="outerHTML"' in pending
    assert 'hx-trigger="every 2s"' not in render("x", direction="out", status="sent")


def test_failed_shows_the_reason_with_retry_and_delete(render):
    html = render("x", direction="out", status="failed", error="This person isn't available right now.")
    assert "This person isn&#39;t available right now." in html
    assert 'hx-post="/messages/' in html and "/retry" in html and "/delete" in html and ">Retry<" in html
    assert "hx-confirm=\"This message may already" not in html  # only when delivery is uncertain
    uncertain = render("x", direction="out", status="failed", error="Unknown", send_claimed_at=utcnow())
    assert "hx-confirm=\"This message may already" in uncertain


@pytest.mark.parametrize("source,label", [("app", "Sent from Instagram app"), ("automation", "Automation"), ("api", "Sent via API")])
def test_source_badges(render, source, label):
    assert label in render("x", direction="out", status="sent", source=source)


def test_deleted_and_edited(render):
    deleted = render("secret", is_deleted=True)
    assert "The customer unsent this message." in deleted and "secret" not in deleted
    assert "Edited" in render("fixed", edited=True)


def test_reactions(render):
    html = render("nice", reactions=[{"emoji": "❤️", "reaction": "love", "by": "customer"}, {"reaction": "like", "by": "business"}])
    assert "❤️" in html and "👍" in html and "Remove reaction" in html
    plain = render("plain")
    assert 'aria-label="React with love"' in plain and "Remove reaction" not in plain


def test_images_are_lazy_with_a_fallback_and_only_http_links(render):
    html = render(None, attachments=[{"type": "image", "url": "https://cdn.example/p.jpg"}])
    assert 'src="https://cdn.example/p.jpg"' in html and 'loading="lazy"' in html
    # The fallback: static/js/app.js shows the placeholder when a data-broken picture fails to load
    # (no inline onerror handler: the Content-Security-Policy refuses inline script).
    assert 'data-broken="gone"' in html and "onerror=" not in html and "Media no longer available" in html
    bad = render(None, attachments=[{"type": "image", "url": "javascript:alert(1)"}])
    assert "javascript:" not in bad and "Media no longer available" in bad


def test_video_audio_and_files(render):
    html = render(None, attachments=[{"type": "video", "url": "https://cdn.example/v.mp4"},
                                     {"type": "audio", "url": "https://cdn.example/a.m4a"},
                                     {"type": "file", "url": "https://cdn.example/f.pdf", "filename": "price list.pdf"}])
    assert '<video src="https://cdn.example/v.mp4" controls' in html
    assert '<audio src="https://cdn.example/a.m4a" controls' in html
    assert '<a href="https://cdn.example/f.pdf"' in html and "price list.pdf" in html


def test_instagram_cards(render):
    html = render(None, attachments=[
        {"type": "story_mention", "payload": {"url": "https://cdn.example/s.jpg"}},
        {"type": "ig_reel", "payload": {"url": "https://cdn.example/r.mp4", "title": "New <drop>"}},
        {"type": "share", "payload": {"url": "https://cdn.example/post.jpg", "title": "Our post"}},
        {"type": "ig_story", "payload": {"story_media_url": "https://cdn.example/st.jpg"}},
        {"type": "ephemeral"}, {"type": "unsupported_type"},
    ])
    assert "Mentioned you in their story" in html and "Shared a reel" in html and "New &lt;drop&gt;" in html
    assert "Shared a post" in html and "Our post" in html and "Shared a story" in html
    assert "disappearing photo or video" in html
    assert "This message type isn&#39;t supported by Instagram&#39;s API — open Instagram to see it." in html


def test_story_reply_ad_referral_quick_reply_and_quote(render):
    original = render.factory.message(render.conversation, "Which colours?")
    html = render("This one", reply_to_mid=original.mid, replied={original.mid: original},
                  meta={"story": {"url": "https://cdn.example/story.jpg", "id": "1"},
                        "referral": {"ad_id": "9", "ads_context_data": {"ad_title": "Spring <sale>"}},
                        "quick_reply": {"payload": "SIZE_M"}})
    assert "Replied to your story" in html and "Came from an ad" in html and "Spring &lt;sale&gt;" in html
    assert "Quick reply: SIZE_M" in html and "Which colours?" in html


def test_odd_shapes_do_not_break_the_page(render):
    html = render("x", attachments=["not a dict", {"no": "type"}], meta={"story": "not a dict"}, reactions=["?"])
    assert 'id="message-' in html


def test_note_template(app, render):
    from app.models import Note
    from app.extensions import db

    note = Note(conversation_id=render.conversation.id, author_id=render.user.id, body="<b>call</b>", created_at=utcnow())
    db.session.add(note)
    db.session.commit()
    html = render_template("inbox/_note.html", note=note)
    assert "Private note · Maya Agent" in html and "&lt;b&gt;call&lt;/b&gt;" in html
