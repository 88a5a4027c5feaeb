"""Browser test fixtures: the real app served over HTTP in a thread, a minimal fake of the Graph
API's send endpoint, and headless Chromium pages that fail the test on any console error and on
any Content-Security-Policy violation (tests/browser/csp_watch.py: every browser context a test
here makes is watched, and the test fails at teardown if one was recorded).

The server app and the test share the test database, so a test inserts rows with the factories
(as a webhook would) and watches the browser pick them up. Everything that needs Playwright or
Chromium is imported lazily: the test modules skip themselves cleanly when either is missing."""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest

from app import create_app
from tests.browser.csp_watch import CSP_WATCH, watch_every_browser
from tests.conftest import base_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe" / "axe.min.js"
PASSWORD = "correct-horse-battery"


def browser_available() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not installed at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright (python) is not installed"
    return None


class ServerThread:
    def __init__(self, wsgi_app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


class FakeGraph:
    """Just enough of POST /<version>/<ig_user_id>/messages for the inbox's sends: a reply whose
    text contains FAIL is refused the way Instagram refuses an unavailable recipient."""

    def __init__(self):
        self.sent: list[dict] = []
        self._count = 0

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or len(parts) != 3 or parts[2] != "messages":
            response = Response(json.dumps({"error": {"message": "Unknown path", "code": 100}}), 404,
                                content_type="application/json")
            return response(environ, start_response)
        body = request.get_json(silent=True) or {}
        self.sent.append(body)
        text = (body.get("message") or {}).get("text") or ""
        if "FAIL" in text:
            payload, status = {"error": {"message": "This person isn't available right now.", "type": "OAuthException",
                                         "code": 551, "error_subcode": 1545041, "fbtrace_id": "Afake"}}, 400
        else:
            self._count += 1
            payload, status = {"recipient_id": (body.get("recipient") or {}).get("id"),
                               "message_id": f"m_fake_{self._count}"}, 200
        response = Response(json.dumps(payload), status, content_type="application/json")
        return response(environ, start_response)


@pytest.fixture(scope="session")
def fake_graph():
    graph = FakeGraph()
    server = ServerThread(graph).start()
    graph.url = server.url
    yield graph
    server.stop()


@pytest.fixture(scope="session")
def live_server(database_url, fake_graph):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the output
    config = base_config(database_url)
    config.update({"INSTAGRAM_GRAPH_URL": fake_graph.url})
    server_app = create_app(config)
    server = ServerThread(server_app)
    server_app.config["PUBLIC_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API runs an event loop while started, and other test
    # modules start their own Playwright; two at once refuse to run.
    reason = browser_available()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()
    playwright.stop()


def next_frame(page) -> None:
    """Wait for the page's next frame (a new width or a change laid out). A page the browser does
    not paint (in the background, under load) may never run one, and a bare requestAnimationFrame
    promise then never settles: a test hung there for 19 minutes. Half a second at most."""
    page.evaluate("() => new Promise(done => { requestAnimationFrame(done); setTimeout(done, 500); })")


class Browsing:
    """One signed-in browser tab, with the checks every page gets."""

    def __init__(self, page, server_url):
        self.page = page
        self.url = server_url
        self.console_errors: list[str] = []
        self.allowed_errors: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(
            f"{msg.text} at {msg.location.get('url', '')} on {page.url}"))
        page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))

    def go(self, path: str):
        self.page.goto(self.url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def login(self, user, password: str = PASSWORD):
        self.page.goto(self.url + "/login")
        self.page.fill("#email", user.email)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.url + "/")
        return self.page

    def screenshot(self, name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        width = self.page.viewport_size["width"]
        path = ARTIFACTS / f"{name}-{width}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def axe_violations(self) -> list[str]:
        """Serious and critical accessibility problems of the page as it is now (axe-core)."""
        # Evaluated, not added as a <script> tag: the page's CSP refuses inline scripts.
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        found = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations
                  .filter(v => v.impact === 'serious' || v.impact === 'critical')
                  .map(v => v.id + ': ' + v.help + ' -> ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
            }"""
        )
        return found

    def check_page(self, name: str):
        """The page as it is now, at a phone's and a desktop's width: a screenshot of each into
        test-artifacts/, and no serious or critical accessibility violation at either."""
        original = self.page.viewport_size
        try:
            for size in ({"width": 375, "height": 740}, {"width": 1280, "height": 800}):
                self.page.set_viewport_size(size)
                next_frame(self.page)
                self.screenshot(name)
                violations = self.axe_violations()
                assert not violations, f"{name} at {size['width']} px: accessibility violations:\n" + "\n".join(violations)
        finally:
            self.page.set_viewport_size(original)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.console_errors if not any(a in e for a in self.allowed_errors)]


@pytest.fixture
def browsing(app, browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="Europe/Berlin", locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    tab = Browsing(page, live_server.url)
    yield tab
    errors = tab.unexpected_errors()
    context.close()
    assert not errors, "console errors:\n" + "\n".join(errors)


@pytest.fixture(autouse=True)
def no_csp_violations(monkeypatch):
    """Every browser test fails (at teardown, after its pages closed) on any CSP violation in
    any browser context it made."""
    if browser_available() is None:
        watch_every_browser(monkeypatch, CSP_WATCH)
    start = len(CSP_WATCH.violations)
    yield
    violations = CSP_WATCH.since(start)
    assert not violations, CSP_WATCH.report(violations)
