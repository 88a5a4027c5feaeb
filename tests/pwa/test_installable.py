"""The installable app (app/pwa/manifest.py, app/pwa/routes.py): the manifest, the service worker
served from the root, the offline page, and what the worker may ever put in its cache."""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from app.pwa import manifest

ROOT = Path(__file__).resolve().parents[2]
WORKER_SOURCE = ROOT / "static" / "js" / "service-worker.js"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_makes_an_installable_standalone_app(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    data = response.get_json(force=True)
    assert data["name"] == "Instagram Inbox" and data["short_name"] == "Inbox"
    assert data["start_url"] == "/" and data["scope"] == "/" and data["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", data["theme_color"]) and re.fullmatch(r"#[0-9a-f]{6}", data["background_color"])
    pngs = {(icon["sizes"], icon["purpose"]) for icon in data["icons"] if icon["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= pngs
    assert any(icon["type"] == "image/svg+xml" for icon in data["icons"])
    for icon in data["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        served.close()
        if icon["type"] == "image/png":
            width, height = png_size(ROOT / icon["src"].lstrip("/"))
            assert f"{width}x{height}" == icon["sizes"]


def test_every_page_links_the_manifest_and_a_theme_colour(client):
    html = client.get("/login").get_data(as_text=True)

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color"' in html
    assert "/static/js/pwa.js" in html  # registers the worker; no inline script does


def test_the_worker_is_served_from_the_root_uncached(client):
    response = client.get("/service-worker.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "no-cache" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert body.startswith("const CACHE_VERSION = ")
    assert body.endswith(WORKER_SOURCE.read_text(encoding="utf-8"))


def precache_of(body: str) -> list[str]:
    import json

    return json.loads(re.search(r"^const PRECACHE_URLS = (.*);$", body, re.M).group(1))


def test_the_worker_precaches_only_static_files_and_the_offline_page(client):
    urls = precache_of(client.get("/service-worker.js").get_data(as_text=True))

    assert "/offline" in urls and manifest.OFFLINE_URL == "/offline"
    assert all(url == "/offline" or url.startswith("/static/") for url in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_the_worker_source_never_stores_anything_but_the_precache():
    """Unit test of static/js/service-worker.js: its only cache write is the install's
    cache.addAll(PRECACHE_URLS ...); no cache.put or cache.add of a passing answer, so a page, a
    fragment or an /api/ answer can never end up in a cache (the browser test checks the caches too)."""
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    code = re.sub(r"//[^\n]*", "", code)

    writes = re.findall(r"\.(put|add|addAll)\s*\(", code)
    assert writes == ["addAll"]
    assert re.search(r"cache\.addAll\(PRECACHE_URLS\.map\(", code)
    # Answers are served from the cache only for navigations (the offline page) and for the
    # precached paths themselves.
    assert "PRECACHED.has(url.pathname)" in code
    assert 'request.mode === "navigate"' in code


def test_the_cache_version_follows_the_precached_files(app, client):
    before = client.get("/service-worker.js").get_data(as_text=True).splitlines()[0]
    css = Path(app.static_folder) / "css" / "pwa.css"
    original = css.read_bytes()
    try:
        css.write_bytes(original + b"\n/* changed */\n")
        after = client.get("/service-worker.js").get_data(as_text=True).splitlines()[0]
    finally:
        css.write_bytes(original)
    assert after != before


def test_the_offline_page_holds_no_ones_data(auth, client):
    user = auth.login()

    response = client.get("/offline")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You are offline" in html
    assert user.email not in html and "csrf" not in html.lower()
    assert "<script" not in html


@pytest.mark.parametrize("path", ["/manifest.webmanifest", "/service-worker.js", "/offline"])
def test_the_app_shell_needs_no_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 200
    response.close()
