"""Clickable links in message text (the `linkify` template filter).

Message text comes from Instagram users and is untrusted. The text is HTML-escaped first, and links
are found in the escaped text, so nothing the sender typed can reach the page as markup: an `href`
is always escaped text that starts with http:// or https:// (a bare `www.` host gets https://),
and every other scheme (javascript:, data:, …) stays plain text. Links open in a new tab and tell
search engines the link is the sender's, not ours (rel="… nofollow ugc").
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

# Bidi controls end a link: inside one they could make the address read as another.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
# In escaped text, "&" only starts an entity. "&amp;" is a literal "&" (a query string's); any other
# entity is a quote or an angle bracket the sender typed, and ends the link.
_URL_CHAR = rf"(?:[^\s&{_BIDI}]|&amp;)"
_LINK = re.compile(
    # Not in the middle of a word, an address or a path (…/www.x, me@www.x, foohttp://).
    rf"(?<![\w./@:-])"
    rf"(?:(?P<scheme>https?://)(?=[^\s/?#&{_BIDI}]*\w)|(?P<www>www\.)(?=[\w-]+\.\w))"
    rf"{_URL_CHAR}+",
    re.IGNORECASE,
)
# Sentence punctuation after a link is the sentence's (a ")" only when it closes no "(" of the link).
_TRAILING = ".,!?:"

REL = "noopener noreferrer nofollow ugc"


def _trim(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


def linkify(text: str | None) -> Markup:
    """`text` escaped, with its http(s) and www. addresses as links."""
    if not text:
        return Markup("")
    escaped = str(escape(text))
    out: list[str] = []
    pos = 0
    for match in _LINK.finditer(escaped):
        url = _trim(match.group(0))
        # What is left after trimming must still be more than a scheme or a bare "www.".
        if not re.search(r"^(?:https?://[^/?#]*\w|www\.[\w-]+\.\w)", url, re.IGNORECASE):
            continue
        start = match.start()
        href = url if match.group("scheme") else "https://" + url
        out.append(escaped[pos:start])
        out.append(f'<a href="{href}" rel="{REL}" target="_blank">{url}</a>')
        pos = start + len(url)
    out.append(escaped[pos:])
    return Markup("".join(out))
