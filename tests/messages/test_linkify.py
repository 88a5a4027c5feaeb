"""Links in message text (app/messages/links.py, the `linkify` filter): http(s) and www. addresses
become links with rel="noopener noreferrer nofollow ugc", everything else stays escaped text, and no
input, however hostile, gets markup or another scheme onto the page."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

from app.messages.links import REL, linkify


class Anchors(HTMLParser):
    """The elements and links of a fragment, as a browser would parse them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[dict] = []
        self.texts: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self._open = {**dict(attrs), "text": ""}
            self.links.append(self._open)

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def handle_data(self, data):
        self.texts.append(data)
        if self._open is not None:
            self._open["text"] += data


def parse(text: str) -> Anchors:
    html = linkify(text)
    assert isinstance(html, Markup)
    parser = Anchors()
    parser.feed(str(html))
    parser.close()
    return parser


def hrefs(text: str) -> list[str]:
    return [link["href"] for link in parse(text).links]


def test_http_and_https_addresses_become_links():
    found = parse("See https://shop.example/p/42?size=m&colour=red#top or http://example.org now")
    assert [link["href"] for link in found.links] == ["https://shop.example/p/42?size=m&colour=red#top",
                                                      "http://example.org"]
    for link in found.links:
        assert link["rel"] == REL == "noopener noreferrer nofollow ugc"
        assert link["target"] == "_blank"
        assert link["text"] == link["href"]
    assert "".join(found.texts) == "See https://shop.example/p/42?size=m&colour=red#top or http://example.org now"


def test_a_bare_www_host_links_to_https():
    found = parse("try www.example.com/sale")
    assert found.links == [{"href": "https://www.example.com/sale", "rel": REL, "target": "_blank",
                            "text": "www.example.com/sale"}]


@pytest.mark.parametrize("text, expected", [
    ("Look: https://example.com.", "https://example.com"),
    ("https://example.com, then", "https://example.com"),
    ("Really? https://example.com/a?!", "https://example.com/a"),
    ("(see https://example.com/a)", "https://example.com/a"),
    ("(see https://example.com/a).", "https://example.com/a"),
    ("https://en.wikipedia.org/wiki/Bag_(fashion)", "https://en.wikipedia.org/wiki/Bag_(fashion)"),
    ("(https://en.wikipedia.org/wiki/Bag_(fashion))", "https://en.wikipedia.org/wiki/Bag_(fashion)"),
    ("time: https://example.com:8443/x:", "https://example.com:8443/x"),
    ("www.example.com!", "https://www.example.com"),
])
def test_trailing_punctuation_belongs_to_the_sentence(text, expected):
    assert hrefs(text) == [expected]


@pytest.mark.parametrize("text", [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "ftp://files.example.com/a.zip",
    "mailto:me@example.com",
    "file:///etc/passwd",
    "//evil.example/path",
    "https://",
    "http:// spaced.example",
    "www.",
    "www.localhost",
    "me@www.example.com",
    "see/www.example.com",
    "foohttps://example.com",
    "https://&lt;script&gt;",
])
def test_other_schemes_and_non_addresses_stay_text(text):
    found = parse(text)
    assert found.links == []
    assert "".join(found.texts) == text


@pytest.mark.parametrize("text", [
    '<script>alert(1)</script> https://example.com',
    'https://example.com/"><img src=x onerror=alert(1)>',
    "https://example.com/'onmouseover='alert(1)",
    'https://example.com/<b>bold</b>',
    '<a href="javascript:alert(1)">https://example.com</a>',
    "https://example.com/\u202egnp.exe",
    "www.example.com&quot;onclick=alert(1)",
    "https://example.com/?q=&lt;/a&gt;",
])
def test_hostile_text_never_becomes_markup(text):
    found = parse(text)
    assert set(found.tags) <= {"a"}
    assert "".join(found.texts) == text  # every character the sender typed is shown as text
    for link in found.links:
        assert set(link) == {"href", "rel", "target", "text"}
        assert link["href"].startswith(("https://", "http://"))
        assert not any(c in link["href"] for c in "<>\"' \u202e")


def test_an_address_ends_where_markup_characters_begin():
    assert hrefs('https://example.com/"><img src=x>') == ["https://example.com/"]
    assert hrefs("https://example.com/<b>") == ["https://example.com/"]
    assert hrefs("https://example.com/\u202egnp.exe") == ["https://example.com/"]


def test_empty_and_missing_text():
    assert linkify(None) == Markup("")
    assert linkify("") == Markup("")
    assert linkify("no links here & <that> is fine") == Markup("no links here &amp; &lt;that&gt; is fine")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ahtps:/w.x<>\"'&;()=?# \n\u202ej")) | st.characters(), max_size=60))
def test_any_text_round_trips_and_links_only_http(text):
    found = parse(text)
    assert set(found.tags) <= {"a"}
    assert "".join(found.texts) == text
    for link in found.links:
        assert link["href"].lower().startswith(("https://", "http://"))


def test_the_thread_shows_links_in_messages(client, auth, factory):
    ws = factory.workspace("Shop")
    user = factory.user(ws)
    account = factory.account(ws)
    conversation = factory.conversation(account)
    factory.message(conversation, "Is this it? https://shop.example/p/1. <b>Or</b> javascript:alert(1)")
    auth.login(user)
    html = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert (f'<a href="https://shop.example/p/1" rel="{REL}" target="_blank">https://shop.example/p/1</a>. '
            "&lt;b&gt;Or&lt;/b&gt; javascript:alert(1)") in html
