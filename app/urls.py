"""Absolute addresses of this app, for someone else's browser (an invite link, a password link)
or for Meta (the OAuth redirect, a data-deletion status page): the one home of that rule."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, url_for


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


def links_elsewhere() -> str | None:
    """The address the app builds its own links from, when this request reached it on another
    port (else None). Only in demo mode without PUBLIC_URL: there the stand-in's avatars and
    sample media, Connect's authorize page and the demo's webhooks all point at own_base_url, so
    `flask run --port 8001` (the option wins over PORT, which .flaskenv passes on) leaves them
    pointing at a port nobody listens on. Pages say so (templates/demo/_links_banner.html)."""
    app = current_app
    if not app.config.get("DEMO_MODE") or app.config.get("PUBLIC_URL") or not has_request_context():
        return None
    host = request.host
    if host.startswith("["):  # an IPv6 address: [::1]:5000
        port = host.rpartition("]")[2].lstrip(":")
    else:
        port = host.partition(":")[2]
    if not port.isdigit():
        return None  # no port in the address (behind a proxy, on 80/443): nothing to compare
    return None if int(port) == app.config["PORT"] else own_base_url(app)
