"""Security review I-3: a customer's name or message containing bidi controls (U+202E RIGHT-TO-LEFT
OVERRIDE) must not reorder the text around it. Every place that shows such text isolates it:
its element has dir="auto", or it is a <bdi>."""
from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest

from app.models import utcnow
from tests.meta_kit import HX

RLO = "\u202e"
NAME = f"Evil{RLO}TXT.exe"
TEXT = f"Pay here {RLO}gnp.exe now"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Not laid out as text next to other text: the tab title, a select's option, a form field's value,
# and labels only screen readers read.
EXEMPT = {"title", "option", "textarea"}


class IsolationCheck(HTMLParser):
    """Every text node with a bidi control, and whether its own element isolates it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.isolated: list[str] = []
        self.exposed: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if RLO not in data or not self.stack:
            return
        tag, attrs = self.stack[-1]
        hidden = any("visually-hidden" in (a.get("class") or "") for _, a in self.stack)
        if tag in EXEMPT or hidden:
            return
        where = f"<{tag} {attrs}>: {data.strip()!r}"
        (self.isolated if tag == "bdi" or attrs.get("dir") == "auto" else self.exposed).append(where)


def check(html: str) -> IsolationCheck:
    parser = IsolationCheck()
    parser.feed(html)
    return parser


@pytest.fixture
def spoofed(factory, auth):
    ws = factory.workspace("Shop")
    user = factory.user(ws, name="Maya Agent")
    account = factory.account(ws, username="acme.store")
    now = utcnow()
    contact = factory.contact(account, name=NAME, username="evil.user")
    conversation = factory.conversation(account, contact=contact, last_message_at=now, last_inbound_at=now,
                                        last_message_preview=TEXT, unread_count=1)
    factory.message(conversation, TEXT, created_at=now - timedelta(seconds=5))
    factory.lead(conversation, status="new", source="dm")
    auth.login(user)
    return conversation


def test_conversation_list_isolates_names_and_previews(client, spoofed):
    html = client.get("/", headers=HX).get_data(as_text=True)
    found = check(html)
    assert not found.exposed, found.exposed
    assert any("convrow__name" in place for place in found.isolated)
    assert any("convrow__preview" in place for place in found.isolated)


def test_thread_header_and_messages_isolate_customer_text(client, spoofed):
    html = client.get(f"/conversations/{spoofed.id}").get_data(as_text=True)
    found = check(html)
    assert not found.exposed, "customer text not isolated:\n" + "\n".join(found.exposed)
    assert any("thread-title" in place for place in found.isolated)
    assert any("bubble__text" in place for place in found.isolated)
    assert any("convrow__name" in place for place in found.isolated)


def test_leads_list_isolates_names(client, spoofed):
    html = client.get("/leads").get_data(as_text=True)
    found = check(html)
    assert not found.exposed, "customer text not isolated:\n" + "\n".join(found.exposed)
    assert any("Evil" in place and "href" in place for place in found.isolated)


def test_the_check_itself_finds_unisolated_text():
    found = check(f'<p><span class="x">{NAME}</span> <span dir="auto">{NAME}</span> <bdi>{NAME}</bdi></p>')
    assert len(found.exposed) == 1 and len(found.isolated) == 2
