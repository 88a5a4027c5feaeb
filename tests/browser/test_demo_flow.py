"""The README's first run, in a real browser: `flask db upgrade`, `flask demo` and `flask run` as
separate processes on a fresh SQLite database in demo mode, then sign in, see the demo inbox,
make a customer write through the simulator and watch it arrive, reply and see it sent, and
connect a second account through the stand-in's consent page.

Nothing is mocked: the server calls its own stand-in of Meta over HTTP (which is why `flask run`
must be threaded), and the stand-in's echo webhooks come back to /webhooks/instagram.
Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_available

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# Everything that could point the app elsewhere than its own demo mode is blanked: an empty
# value counts as unset, and also shadows whatever a developer's .env says.
BLANKED = ("INSTAGRAM_APP_ID", "INSTAGRAM_APP_SECRET", "INSTAGRAM_VERIFY_TOKEN", "INSTAGRAM_GRAPH_URL",
           "INSTAGRAM_API_URL", "INSTAGRAM_AUTHORIZE_URL", "TOKEN_ENCRYPTION_KEYS", "REDIS_URL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoServer:
    """`flask run` in demo mode on a free port, after `db upgrade` and before `flask demo`."""

    def __init__(self, workdir: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
        self.env.update({name: "" for name in BLANKED})
        self.env.update({
            "APP_ENV": "development",
            "SECRET_KEY": "browser-demo-secret-" + "k" * 32,
            "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
            "PUBLIC_URL": self.url,
            "PORT": str(self.port),
        })
        self.process: subprocess.Popen | None = None
        self.demo_output = ""

    def flask(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def start(self) -> DemoServer:
        upgraded = self.flask("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("flask run did not come up:\n" + self.log_path.read_text())
            time.sleep(0.1)
        demo = self.flask("demo")
        assert demo.returncode == 0, demo.stdout + demo.stderr
        self.demo_output = demo.stdout
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    reason = browser_available()
    if reason:
        pytest.skip(reason)
    server = DemoServer(tmp_path_factory.mktemp("demo-flow"))
    try:
        yield server.start()
    finally:
        server.stop()
        # Keep the server's log next to the screenshots when something went wrong.
        if server.log_path.exists():
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(server.log_path, ARTIFACTS / "demo-flow-server.log")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"demo-flow-{name}.png"), full_page=True)


def test_try_it_without_meta(demo_server, browser):
    from playwright.sync_api import expect

    assert "demo@example.com" in demo_server.demo_output and "demo-inbox" in demo_server.demo_output
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    inbox = context.new_page()
    inbox.on("pageerror", lambda exc: errors.append(str(exc)))

    # Sign in with the printed login: the demo inbox is there.
    inbox.goto(demo_server.url + "/login")
    inbox.fill("input[name=email]", "demo@example.com")
    inbox.fill("input[name=password]", "demo-inbox")
    inbox.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(inbox).to_have_url(demo_server.url + "/")
    expect(inbox.get_by_text("Leo Vintage", exact=True).first).to_be_visible()  # not the hidden "Select Leo Vintage"
    expect(inbox.get_by_text("Do you sell gift cards?").first).to_be_visible()
    shot(inbox, "1-inbox")

    # A customer writes, through the simulator in another tab, signed like Meta.
    simulator = context.new_page()
    simulator.on("pageerror", lambda exc: errors.append(str(exc)))
    simulator.goto(demo_server.url + "/demo/simulator")
    simulator.fill("#sim-username", "nina.tries")
    simulator.select_option("#sim-kind", "text")
    simulator.fill("#sim-text", "Hello from the simulator 👋")
    simulator.get_by_role("button", name="Deliver webhook").click()
    expect(simulator.locator("#simulator-status")).to_have_text("200")
    expect(simulator.locator("#simulator-outcome")).to_contain_text("@nina.tries sent @demo.boutique a message")
    shot(simulator, "2-simulator")
    # Something that cannot happen is explained, and nothing is delivered.
    simulator.fill("#sim-username", "someone.new")
    simulator.select_option("#sim-kind", "read")
    simulator.get_by_role("button", name="Deliver webhook").click()
    expect(simulator.locator("#simulator-error")).to_contain_text("@someone.new has no conversation yet")

    # The open inbox picks it up by itself.
    expect(inbox.get_by_text("Hello from the simulator 👋").first).to_be_visible(timeout=3000)
    shot(inbox, "3-arrived")

    # Reply: the send goes to the stand-in, its echo comes back, the reply shows sent.
    inbox.get_by_text("Hello from the simulator 👋").first.click()
    inbox.locator("textarea[name=text]").fill("Hi Nina, thanks for trying the demo!")
    inbox.locator("textarea[name=text]").press("Enter")
    reply = inbox.locator(".bubble--out", has_text="Hi Nina, thanks for trying the demo!")
    expect(reply).to_have_count(1)  # the echo is matched to the reply, never shown twice
    expect(reply.get_by_role("img", name="Sent")).to_be_visible(timeout=5000)
    shot(inbox, "4-replied")

    # Connect a second account through the stand-in's consent page.
    inbox.goto(demo_server.url + "/accounts")
    inbox.get_by_role("link", name="Connect Instagram account").click()
    expect(inbox).to_have_title(re.compile(r"Instagram \(stand-in\)"))
    expect(inbox.locator("#scopes")).to_contain_text("instagram_business_manage_messages")
    inbox.check("input[name=account][value='demo.studio']")
    shot(inbox, "5-consent")
    inbox.get_by_role("button", name="Allow").click()
    # Meta's redirect ends in "#_", and a browser keeps a fragment through the next redirect.
    expect(inbox).to_have_url(re.compile(re.escape(demo_server.url + "/accounts") + "(#_)?$"))
    expect(inbox.get_by_role("heading", name="@demo.studio")).to_be_visible()
    expect(inbox.get_by_text("@demo.studio is connected")).to_be_visible()
    shot(inbox, "6-connected")

    assert errors == []
    context.close()
