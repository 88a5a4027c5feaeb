"""How large a request body may be, decided before anything reads it (SECURITY_REVIEW F-21).

MAX_CONTENT_LENGTH (26 MB) exists for one thing: a signed-in person attaching a file to a reply.
Anyone else gets ANONYMOUS_MAX_BYTES: a sign-in form, Meta's signed_request callbacks, an invite
or reset form are a few hundred bytes, and CSRF protection parses every form before a view could
say no, so without this an anonymous 25 MB POST to any address was read into memory.
Endpoints with their own limits keep them: the webhook (WEBHOOK_MAX_BYTES, read raw for its
signature), the JSON API (API_MAX_BODY_BYTES, after its bearer token), demo mode's stand-in.
"""
from __future__ import annotations

from flask import Flask, current_app, request, session

OWN_LIMITS = ("webhooks.receive",)
OWN_LIMIT_PREFIXES = ("/api/", "/_meta/")


def limit_anonymous_bodies():
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.endpoint in OWN_LIMITS or request.path.startswith(OWN_LIMIT_PREFIXES):
        return
    # A session naming a user (signed with SECRET_KEY, so not forgeable) keeps the attachment
    # limit; whether it is still honoured is for login_required to say, after this.
    if session.get("_user_id"):
        return
    # Werkzeug refuses with 413 on a larger Content-Length, and stops reading a chunked body
    # at the limit, before any form is parsed.
    request.max_content_length = current_app.config["ANONYMOUS_MAX_BYTES"]


def init_app(app: Flask) -> None:
    """Register before CSRF protection, whose own before_request hook reads the form."""
    app.before_request(limit_anonymous_bodies)
