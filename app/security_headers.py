"""Security headers on every response: pages, htmx fragments, the JSON API, error pages, static
files and the webhook endpoint (security review F-03 and I-5).

A plain after_request hook rather than a library: Flask-Talisman, the usual choice, is largely
unmaintained, and what is needed here is a handful of fixed headers.

- Content-Security-Policy: scripts only from this origin, never inline and never eval (htmx is
  configured in base.html to need neither), styles only from static/css (no inline style
  attributes either), pictures and media also from Instagram's https CDN, and no framing.
- A header a view set itself is left as it is: /media/<key> sends a stricter sandboxing CSP, the
  demo stand-in's consent page (/_meta/authorize) its own.
- Strict-Transport-Security only in production, and only on a request that arrived over https
  (ProxyFix, in front in production, makes request.is_secure follow the router's X-Forwarded-Proto).
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP_DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    # data: for the search field's icon in app.css; https: for Instagram's CDN (pictures, avatars).
    ("img-src", "'self' https: data:"),
    ("media-src", "'self' https:"),
    ("connect-src", "'self'"),
    ("frame-ancestors", "'none'"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
)

# Demo mode's sample media and stand-in avatars are served over http from PUBLIC_URL (by default
# http://127.0.0.1:PORT), which is another origin when the browser uses localhost. Demo mode never
# runs in production (create_app refuses it).
DEMO_EXTRA_SOURCES = {"img-src": "http:", "media-src": "http:"}

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
    "payment", "usb",
))

HSTS = "max-age=31536000; includeSubDomains"

FIXED_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
)


def content_security_policy(demo: bool = False) -> str:
    parts = []
    for directive, sources in CSP_DIRECTIVES:
        if demo and directive in DEMO_EXTRA_SOURCES:
            sources = f"{sources} {DEMO_EXTRA_SOURCES[directive]}"
        parts.append(f"{directive} {sources}")
    return "; ".join(parts)


CSP = content_security_policy()
DEMO_CSP = content_security_policy(demo=True)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    config = current_app.config
    headers.setdefault("Content-Security-Policy", DEMO_CSP if config.get("DEMO_MODE") else CSP)
    for name, value in FIXED_HEADERS:
        headers.setdefault(name, value)
    if config.get("APP_ENV") == "production" and request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
