"""Comment actions and comment automation in a real browser, in demo mode: the app serves its own
stand-in of Meta (/_meta/graph) and takes the stand-in's webhooks at /webhooks/instagram, over real
HTTP. A comment with the keyword is delivered as the simulator delivers events (signed, through
app.demo.delivery) → the comment rule's private reply goes to the stand-in, whose echo comes back →
the new DM conversation shows it, "from a comment on" the post. A rep then answers a comment
publicly from the thread's reply box and hides another comment. Screenshots at 1280 and 390 px,
axe clean, no CSP violation."""
from __future__ import annotations

import logging
import re
import time

import pytest

from tests.browser.conftest import ARTIFACTS, ServerThread, browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.demo.delivery import deliver_webhook  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import AutomationRule, Conversation, Message  # noqa: E402
from app.standin import business_account  # noqa: E402
from app.standin.comments import comment_delivery  # noqa: E402
from app.standin.signing import Signer  # noqa: E402
from tests.browser.conftest import Browsing, next_frame  # noqa: E402
from tests.conftest import base_config  # noqa: E402

pytestmark = pytest.mark.browser

SCOPES = ["instagram_business_basic", "instagram_business_manage_messages", "instagram_business_manage_comments"]
SIGNING_KEY = "browser-standin-signing-key"
POST = "17900000000000042"
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def demo_server(database_url):
    """The app in demo mode on a free port: Graph calls go to its own /_meta/graph, and the
    stand-in's webhooks (echoes, our own comments) come back to its /webhooks/instagram."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    config = base_config(database_url)
    config.update({"DEMO_MODE": True, "STANDIN_SIGNING_KEY": SIGNING_KEY, "STANDIN_ECHO_DELAY": 0.05})
    server_app = create_app(config)
    server = ServerThread(server_app)
    server_app.config.update({"PUBLIC_URL": server.url, "INSTAGRAM_GRAPH_URL": f"{server.url}/_meta/graph",
                              "STANDIN_WEBHOOK_URL": f"{server.url}/webhooks/instagram"})
    server.app = server_app
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tab(app, browser, demo_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="Europe/Berlin", locale="en-GB")
    context.set_default_timeout(10_000)
    tab = Browsing(context.new_page(), demo_server.url)
    yield tab
    errors = tab.unexpected_errors()
    context.close()
    assert not errors, "console errors:\n" + "\n".join(errors)


def _deliver_comment(server, account, commenter: str, username: str, text: str) -> str:
    with server.app.app_context():
        control = server.app.extensions["standin"]
        comment_id, payload = comment_delivery(control, ig_user_id=account.ig_user_id, from_id=commenter, text=text,
                                               media_id=POST, username=username)
        delivery = deliver_webhook(payload, app=server.app)
        assert delivery.accepted, delivery.response_text
    return comment_id


def _wait_for(query, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        found = query()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the row")


def _check(tab: Browsing, name: str) -> None:
    page = tab.page
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800 if width > 500 else 844})
            next_frame(page)
            tab.screenshot(name)
            violations = tab.axe_violations()
            assert not violations, f"{name} at {width} px:\n" + "\n".join(violations)
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_a_keyword_comment_gets_its_private_reply_and_a_rep_answers_and_hides(tab, factory, demo_server):
    workspace = factory.workspace("Comment Shop")
    agent = factory.user(workspace, email="rep@comments.test", name="Rita Rep", role="agent")
    shop = business_account("demo.boutique")
    token = Signer(SIGNING_KEY).mint_token(ig_user_id=shop.ig_user_id, app_user_id=shop.app_user_id,
                                           username=shop.username, scopes=SCOPES, client_id="demo-app")
    account = factory.account(workspace, ig_user_id=shop.ig_user_id, username=shop.username, token=token)
    account.granted_scopes = SCOPES
    db.session.add(AutomationRule(workspace_id=workspace.id, kind="comment", match_type="contains", pattern="price",
                                  reply_text="Hi {first_name}! The tote is 40 €.", public_replies=[], position=1))
    db.session.commit()

    _deliver_comment(demo_server, account, "5510000000000001", "ana.bell", "PRICE please 😍")
    reply = _wait_for(lambda: db.session.scalar(select(Message).where(
        Message.direction == "out", Message.status == "sent", Message.source == "automation")))
    dm = db.session.get(Conversation, reply.conversation_id)
    assert dm.kind == "dm"

    page = tab.login(agent)
    tab.go(f"/conversations/{dm.id}")
    # {first_name}: the stand-in's profile of the commenter names them.
    expect(page.locator(f"#message-{reply.id}")).to_contain_text(re.compile(r"Hi \w+! The tote is 40 €."))
    expect(page.locator(f"#message-{reply.id}")).to_contain_text("from a comment on")
    _check(tab, "comment-private-reply")

    other = _deliver_comment(demo_server, account, "5510000000000001", "ana.bell", "so cute")
    comments = db.session.scalar(select(Conversation).where(Conversation.kind == "comments"))
    tab.go(f"/conversations/{comments.id}")
    page.fill("#comment-composer-text", "Thank you! Check your DMs 💌")
    page.click("#comment-actions button[type=submit]")
    expect(page.locator("#comment-actions")).to_contain_text("Reply queued")
    sent = _wait_for(lambda: db.session.scalar(select(Message).where(
        Message.kind == "comment", Message.direction == "out", Message.status == "sent")))
    # Its bubble shows it went (the live poll), and the "queued" line above the box goes with that.
    expect(page.locator(f"#message-{sent.id}")).to_have_class(re.compile(r"bubble--sent"))
    expect(page.locator("#comment-actions")).not_to_contain_text("Reply queued")

    hidden = db.session.scalar(select(Message).where(Message.mid == other))
    block = page.locator(f"#comment-actions-{hidden.id}")
    block.get_by_role("button", name="Hide").click()
    expect(page.locator(f"#comment-actions-{hidden.id}")).to_contain_text("Hidden on Instagram.")
    expect(page.locator(f"#comment-actions-{hidden.id}").get_by_role("button", name="Unhide")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Message, hidden.id).hidden is True
    _check(tab, "comment-thread-actions")

    # A private note for the team, by keyboard: the summary opens the form, the note joins the thread.
    page.locator(".comment-note > summary").focus()
    page.keyboard.press("Enter")
    page.fill("#comment-note-text", "Ana is a regular: offer the loyalty code")
    page.locator("[data-comment-note]").get_by_role("button", name="Add note").click()
    expect(page.locator("#thread-messages")).to_contain_text("Ana is a regular: offer the loyalty code")
    expect(page.locator("#comment-note-text")).to_have_value("")
    _check(tab, "comment-thread-note")
    ARTIFACTS.mkdir(exist_ok=True)
