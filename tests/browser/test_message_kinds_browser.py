"""A thread with every message kind (tests/messages/test_message_kinds.py's deliveries, signed as Meta
signs them) in headless Chromium at 1280 and 390 px: each kind shows what it carries, with no
CSP violation (watched by the conftest), no console error and no serious accessibility problem.
Screenshots go to test-artifacts/message-kinds-<width>.png."""
from __future__ import annotations

import pytest

from tests.browser.conftest import browser_available, next_frame

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.instagram import payloads as p  # noqa: E402
from app.models import Conversation, utcnow  # noqa: E402
from tests.messages.test_message_kinds import BUTTON, GENERIC  # noqa: E402
from tests.webhooks.helpers import post  # noqa: E402

pytestmark = pytest.mark.browser

C = "6543210987654321"


def test_every_kind_in_one_thread(browsing, live_server, client, factory):
    user = factory.user(name="Ada Admin")
    account = factory.account(user.workspace, username="shop")
    factory.contact(account, igsid=C, username="ann", name="Ann")
    ig, media = account.ig_user_id, live_server.url + "/static/demo/"
    t = int(utcnow().timestamp() * 1000) - 60 * 60_000
    items = [
        p.ad_referral_message(ig, C, "m1", "Hi, is the dress still available?", "120000001", t,
                              ad_title="Summer collection — 20% off", ref="summer", photo_url=media + "dress.svg"),
        p.echo(ig, C, "e1", None, t + 1000, attachments=[p.attachment("story_mention", media + "story.svg")]),
        p.story_mention(ig, C, "m2", media + "story.svg", t + 2000),
        p.story_reply(ig, C, "m3", "Love this!", media + "story.svg", "1788", t + 3000),
        p.attachment_message(ig, C, "m4", "ig_post", None, t + 4000,
                             payload={"url": media + "tote.svg", "title": "Linen tote", "ig_post_media_id": "9"}),
        p.template_echo(ig, C, "e2", {"generic": {"elements": [{**GENERIC["generic"]["elements"][0],
                                                                "image_url": media + "tote.svg"}]}}, t + 5000),
        p.text_message(ig, C, "m5", "Blue please", t + 6000, quick_reply_payload="BUY_BLUE"),
        p.postback(ig, C, "pb1", "Get started", "GET_STARTED", t + 7000),
        p.link_referral(ig, C, "from-bio", t + 8000),
        p.unsupported_message(ig, C, "m6", t + 9000),
        p.attachment_message(ig, C, "m7", "image", media + "sneakers.svg", t + 10_000),
        p.template_echo(ig, C, "e3", BUTTON, t + 11_000),
    ]
    response = post(client, p.delivery(p.entry(ig, items)))
    assert response.status_code == 200 and response.get_json()["status"] == "applied"
    db.session.expire_all()
    conversation = db.session.scalar(select(Conversation).where(Conversation.account_id == account.id))

    page = browsing.login(user)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        browsing.go(f"/conversations/{conversation.id}")
        thread = page.locator("#thread-messages")
        for text in ("Summer collection — 20% off", "You mentioned @ann in your story", "Mentioned you in their story",
                     "Replied to your story", "Shared a post", "You sent a message with buttons", "Blue tote",
                     "Quick reply: BUY_BLUE", "Tapped a button", "Came from a link", "What would you like to do?",
                     "This message type isn't supported by Instagram's API — open Instagram to see it."):
            expect(thread).to_contain_text(text)
        expect(page.locator('img[alt^="Ad image"]')).to_be_visible()
        browsing.screenshot("message-kinds")
        # A viewport as tall as the thread, so one picture shows every kind.
        page.set_viewport_size({"width": width, "height": 3600})
        next_frame(page)
        page.screenshot(path=f"/tmp/kinds_{width}.png", full_page=False)
        page.set_viewport_size({"width": width, "height": height})
        violations = browsing.axe_violations()
        assert not violations, "\n".join(violations)
