"""Meta as the tests see it: where the test app's Graph calls go, and what Meta answers.

The URLs here are the ones tests.conftest configures the app with, and the Graph version is the
app's own default (app.config), so a version bump changes the tests with it. The answers are
keyword arguments for `responses` (`meta.post(url, **sent_ok("mid.1"))`), shaped as
docs/meta-protocol.md describes Meta's bodies. The `meta` fixture itself is in tests/conftest.py.
"""
from __future__ import annotations

from app.config import DEFAULT_GRAPH_VERSION

GRAPH_URL = "http://graph.test"
API_URL = "http://api.test"
AUTHORIZE_URL = "http://authorize.test/oauth/authorize"
GRAPH_VERSION = DEFAULT_GRAPH_VERSION
FBTRACE_ID = "AbC123xYz"

HX = {"HX-Request": "true"}  # the header htmx adds to its requests


def graph_url(*segments: object, base: str = GRAPH_URL) -> str:
    """A versioned Graph URL: graph_url(ig_user_id, "messages") → http://graph.test/v24.0/<id>/messages.
    `base` is another Graph root, such as a stand-in's."""
    return "/".join([base, GRAPH_VERSION, *map(str, segments)])


def graph_error_body(code: int, subcode: int | None = None, message: str = "An error occurred", **extra) -> dict:
    """Meta's error body; `extra` adds fields to the error (error_user_msg, ...)."""
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": FBTRACE_ID, **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def graph_error(code: int, subcode: int | None = None, message: str = "An error occurred", status: int = 400,
                **extra) -> dict:
    """Meta answering with an error, as `responses` keyword arguments."""
    return {"json": graph_error_body(code, subcode, message, **extra), "status": status}


def sent_body(mid: str = "mid.sent.1", recipient: str = "r") -> dict:
    """Meta's answer to a send (POST /<ig_user_id>/messages)."""
    return {"recipient_id": recipient, "message_id": mid}


def sent_ok(mid: str = "mid.sent.1", recipient: str = "r") -> dict:
    """A send accepted, as `responses` keyword arguments."""
    return {"json": sent_body(mid, recipient), "status": 200}


def success_ok() -> dict:
    """Meta's `{"success": true}` (subscribing or unsubscribing the app), as `responses` keyword arguments."""
    return {"json": {"success": True}, "status": 200}
