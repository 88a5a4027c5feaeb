"""What makes the inbox an installable app: the web app manifest and the service worker's source.

The service worker (static/js/service-worker.js) caches only what is listed in PRECACHE: the offline
page and the few static files it needs. It never stores a person's pages, fragments, API answers or
uploads, so a shared or lost device keeps no customer data in its caches. The worker's source is
served with two constants put in front of it, the cache's version and that list; the version is a
hash of the precached files and the worker itself, so a deploy that changes any of them changes the
worker's bytes, which is how a browser knows to install the new one (and drop the old cache).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import current_app

APP_NAME = "Instagram Inbox"
SHORT_NAME = "Inbox"
# The top bar's colour (app.css --surface, --bg), so the installed app's title bar matches it.
THEME_COLOR = "#ffffff"
THEME_COLOR_DARK = "#181b20"
BACKGROUND_COLOR = "#f4f5f7"

OFFLINE_URL = "/offline"
SERVICE_WORKER = "js/service-worker.js"          # under static/
OFFLINE_TEMPLATE = "pwa/offline.html"             # under templates/
# Static files the offline page uses (paths under static/). Nothing else is ever cached.
PRECACHED_STATIC = ("css/app.css", "css/pwa.css", "icons/favicon.svg", "icons/icon-192.png")

ICONS = (
    {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "icons/icon-maskable-192.png", "sizes": "192x192", "type": "image/png", "purpose": "maskable"},
    {"src": "icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    {"src": "icons/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
)


def manifest() -> dict:
    static = current_app.static_url_path
    return {
        "name": APP_NAME,
        "short_name": SHORT_NAME,
        "description": "Answer Instagram Direct Messages and work your leads.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [{**icon, "src": f"{static}/{icon['src']}"} for icon in ICONS],
    }


def precache_urls() -> list[str]:
    static = current_app.static_url_path
    return [OFFLINE_URL, *(f"{static}/{path}" for path in PRECACHED_STATIC)]


def service_worker_source() -> str:
    static_folder = Path(current_app.static_folder)
    template = Path(current_app.template_folder) / OFFLINE_TEMPLATE
    files = [static_folder / SERVICE_WORKER, template, *(static_folder / p for p in PRECACHED_STATIC)]
    # Keyed by each file's size and modification time: the hash is recomputed only after a change.
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return _source(stamp, tuple(precache_urls()))


@lru_cache(maxsize=4)
def _source(stamp: tuple, urls: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path, _, _ in stamp:
        digest.update(Path(path).read_bytes())
    digest.update(json.dumps(urls).encode())
    worker = Path(stamp[0][0]).read_text(encoding="utf-8")
    prologue = (f"const CACHE_VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
                f"const PRECACHE_URLS = {json.dumps(list(urls))};\n"
                f"const OFFLINE_URL = {json.dumps(OFFLINE_URL)};\n")
    return prologue + worker
