"""A comments conversation in headless Chromium at 1280 and 390 px, from signed `comments`
deliveries: the list's DMs / Comments switch, the post on top with its picture's box reserved, the
comments with our reply indented under the customer's, the #comment-actions region instead of the
DM composer; no CSP violation (watched by the conftest), no console error, no serious
accessibility problem. Screenshots go to test-artifacts/comments-thread-<width>.png."""
from __future__ import annotations

import json
import re

import pytest
import responses

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.instagram import payloads as p  # noqa: E402
from app.models import Conversation  # noqa: E402
from tests.comments.conftest import MEDIA, post_body  # noqa: E402
from tests.meta_kit import GRAPH_URL, GRAPH_VERSION  # noqa: E402
from tests.webhooks.helpers import post  # noqa: E402

pytestmark = pytest.mark.browser

ID_URL = re.compile(rf"{re.escape(GRAPH_URL)}/{re.escape(GRAPH_VERSION)}/(\d+)\?.*")


def test_a_comments_thread_with_its_post(browsing, live_server, client, factory, meta):
    picture = live_server.url + "/static/demo/tote.svg"
    meta.add_callback(responses.GET, ID_URL, callback=lambda request: (
        (200, {}, json.dumps({**post_body(MEDIA), "media_url": picture})) if "caption" in request.url
        else (400, {}, json.dumps({"error": {"message": "no profile", "code": 100}}))))
    user = factory.user(name="Ada Admin")
    account = factory.account(user.workspace, username="shop")
    ig = account.ig_user_id
    changes = [
        p.comment(ig, "5550001", "c1", "PRICE? And does it come in green 💚", MEDIA, username="ana.b"),
        p.comment(ig, ig, "c2", "Hi Ana! Sent you a DM with the prices 💌", MEDIA, username="shop", parent_id="c1"),
        p.comment(ig, "5550001", "c3", "Got it, thanks!", MEDIA, username="ana.b", parent_id="c1"),
    ]
    for n, change in enumerate(changes):
        response = post(client, p.delivery(p.change_entry(ig, [change], time_s=1_765_000_000 + n * 60)))
        assert response.status_code == 200 and response.get_json()["status"] == "applied"
    post(client, p.delivery(p.entry(ig, [p.text_message(ig, "5550002", "m1", "Do you ship to Rome?")])))
    db.session.expire_all()
    conversation = db.session.scalar(select(Conversation).where(Conversation.kind == "comments"))

    page = browsing.login(user)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        browsing.go("/?kind=comments")
        rows = page.locator("#conversation-list")
        expect(rows).to_contain_text("ana.b")
        expect(rows).not_to_contain_text("Do you ship to Rome?")
        browsing.screenshot("comments-list")
        browsing.go(f"/conversations/{conversation.id}?kind=comments")
        card = page.locator(".post-card")
        expect(card).to_contain_text("New summer collection")
        expect(card.locator("a", has_text="Open on Instagram")).to_have_attribute(
            "href", f"https://www.instagram.com/p/{MEDIA[-6:]}/")
        thumb = card.locator("img")
        expect(thumb).to_be_visible()
        box = thumb.bounding_box()
        assert round(box["width"]) == 72 and round(box["height"]) == 72
        thread = page.locator("#thread-messages")
        expect(thread).to_contain_text("PRICE? And does it come in green")
        expect(thread.locator("[data-comment-id=c2]")).to_contain_text("Your public reply")
        expect(page.locator("#comment-actions")).to_be_visible()
        assert page.locator("#composer").count() == 0
        # The reply sits further in than the comment it answers (on its own side).
        first = thread.locator("[data-comment-id=c1]").bounding_box()
        reply = thread.locator("[data-comment-id=c3]").bounding_box()
        assert reply["x"] > first["x"]
        browsing.screenshot("comments-thread")
        violations = browsing.axe_violations()
        assert not violations, "\n".join(violations)
