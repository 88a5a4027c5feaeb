"""How the server answers htmx (docs/architecture.md#conventions, item 5).

A page is one template with named blocks: an htmx request gets the named block, a normal or
history-restore request gets the whole page, and every such response varies on HX-Request so a
cache never serves one for the other. A template that is only ever a fragment (templates/*/_*.html)
goes through render_fragment, which varies the same way. htmx request and response headers are
named only here.
"""
from __future__ import annotations

import json
from typing import Any

from flask import make_response, render_template
from flask.wrappers import Response
from jinja2_fragments.flask import render_block

from app.extensions import htmx


def is_fragment_request() -> bool:
    """An htmx request that wants a fragment (not a history restore, which needs the page)."""
    return bool(htmx) and not htmx.history_restore_request


def render_page(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    if block is not None and is_fragment_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return _varying(make_response(body, status))


def render_fragment(template: str, status: int = 200, **context: Any) -> Response:
    """A template that is only ever a fragment (templates/*/_*.html): a bubble, a row, an error."""
    return _varying(make_response(render_template(template, **context), status))


def empty_fragment(status: int = 200) -> Response:
    """Nothing to swap in: the element the request targets disappears."""
    return _varying(make_response("", status))


def _varying(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def hx_redirect(response: Response, url: str) -> Response:
    response.headers["HX-Redirect"] = url
    return response


def hx_trigger(response: Response, events: dict[str, Any] | str) -> Response:
    """Fire client-side events after the swap (badges, toasts) without hand-written fetches."""
    if isinstance(events, str):
        events = {events: None}
    existing = response.headers.get("HX-Trigger")
    merged = json.loads(existing) if existing else {}
    merged.update(events)
    response.headers["HX-Trigger"] = json.dumps(merged)
    return response


def hx_push_url(response: Response, url: str) -> Response:
    response.headers["HX-Push-Url"] = url
    return response


def hx_reswap(response: Response, swap: str, target: str | None = None) -> Response:
    response.headers["HX-Reswap"] = swap
    if target:
        response.headers["HX-Retarget"] = target
    return response
