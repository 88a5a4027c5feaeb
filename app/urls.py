"""Absolute addresses of this app, for someone else's browser (an invite link, a password link)
or for Meta (the OAuth redirect, a data-deletion status page): the one home of that rule."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, url_for


def public_url_for(endpoint: str, **values) -> str:
    """An absolute URL for Meta or a browser elsewhere: PUBLIC_URL when configured (behind a
    proxy the request host may be internal, and a Host header is whatever the client sent), else
    the request's own host. Outside a request (a job writing a mail) there is no request host:
    PUBLIC_URL, else where `flask run` serves (own_base_url)."""
    public = current_app.config.get("PUBLIC_URL")
    if not has_request_context():
        # url_for needs SERVER_NAME outside a request; the path alone comes from the URL map.
        path = current_app.url_map.bind("localhost").build(endpoint, values)
        return own_base_url().rstrip("/") + path
    if public:
        return public.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def own_base_url(app: Flask | None = None) -> str:
    """Where browsers reach this app when there is no request to ask (the CLI, the demo's seed):
    PUBLIC_URL, else the port `flask run` serves."""
    app = app or current_app
    return app.config.get("PUBLIC_URL") or f"http://127.0.0.1:{app.config['PORT']}"
