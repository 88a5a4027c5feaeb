"""The installable app in Chromium: the manifest is linked and valid, the service worker registers
at scope "/" (http://127.0.0.1 is a secure context), its caches hold only the precached static
files and the offline page after a person has browsed pages and the API, and once the server is
gone a navigation shows the offline page. Then Settings → Profile's Devices section with push on,
at 375 and 1280 px with axe's checks; the browser is never asked for permission on load."""
from __future__ import annotations

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.api_tokens import create_token  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import PushSubscription  # noqa: E402
from app.pwa import vapid  # noqa: E402
from tests.browser.conftest import PASSWORD, ServerThread  # noqa: E402
from tests.conftest import base_config  # noqa: E402
from tests.notifications.push_service import BrowserKeys  # noqa: E402

pytestmark = pytest.mark.browser

WORKER_READY = """async () => {
  const registration = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  }
  return registration.scope;
}"""

CACHED_PATHS = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) paths.push(new URL(request.url).pathname + new URL(request.url).search);
  }
  return paths.sort();
}"""


def sign_in(page, base_url, user):
    page.goto(base_url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")


def test_worker_caches_only_static_files_and_serves_the_offline_page(browsing, database_url, factory):
    """A server of its own, so that stopping it (the network gone) leaves the other tests' alone."""
    server = ServerThread(create_app(base_config(database_url))).start()
    stopped = False
    try:
        user = factory.user(name="Ola Offline")
        conversation = factory.conversation(factory.account(workspace=user.workspace))
        factory.message(conversation, "Secret order details: 3 dresses to Lyon")
        page = browsing.page
        sign_in(page, server.url, user)

        href = page.get_attribute("link[rel=manifest]", "href")
        manifest = page.evaluate("async (href) => (await fetch(href)).json()", href)
        assert manifest["display"] == "standalone" and manifest["scope"] == "/" and manifest["start_url"] == "/"
        assert page.locator('meta[name="theme-color"]').count() >= 1

        assert page.evaluate(WORKER_READY) == server.url + "/"

        # A person's pages, a fragment and an API answer pass through the worker, controlled now.
        page.goto(f"{server.url}/conversations/{conversation.id}")
        expect(page.get_by_text("Secret order details")).to_be_visible()
        page.goto(server.url + "/leads")
        _, token = create_token(user, "pwa test")
        db.session.commit()
        answer = page.evaluate("async ([path, token]) => (await fetch(path, "
                               "{headers: {Authorization: 'Bearer ' + token}})).text()",
                               [f"/api/v1/conversations/{conversation.id}/messages", token])
        assert "Secret order details" in answer
        precache = page.evaluate("async () => { const r = await fetch('/service-worker.js'); const t = await r.text();"
                                 " return JSON.parse(t.match(/^const PRECACHE_URLS = (.*);$/m)[1]); }")
        assert page.evaluate(CACHED_PATHS) == sorted(precache)

        server.stop()
        stopped = True
        page.goto(f"{server.url}/conversations/{conversation.id}")
        expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        expect(page.get_by_text("Secret order details")).to_have_count(0)
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"  # app.css, from the cache
        browsing.screenshot("pwa-offline")
    finally:
        if not stopped:
            server.stop()


def test_devices_section_with_push_on(browsing, factory, live_server, monkeypatch):
    pair = vapid.generate()
    config = live_server.server.app.config
    for name, value in (("VAPID_PRIVATE_KEY", pair.private_key), ("VAPID_PUBLIC_KEY", pair.public_key),
                        ("VAPID_SUBJECT", "mailto:ops@inbox.test")):
        monkeypatch.setitem(config, name, value)
    user = factory.user(name="Pia Push")
    keys = BrowserKeys()
    db.session.add(PushSubscription(user_id=user.id, endpoint="https://push.example.com/send/abc", endpoint_hash="0" * 64,
                                    p256dh=keys.subscription("x")["keys"]["p256dh"], auth=keys.subscription("x")["keys"]["auth"],
                                    device="Chrome on Android", last_error="push.example.com answered 500"))
    db.session.commit()
    page = browsing.login(user)
    browsing.go("/settings/profile")

    section = page.locator("#push-devices")
    expect(section.get_by_role("heading", name="Devices")).to_be_visible()
    expect(section.get_by_role("button", name="Turn on push on this device")).to_be_visible()
    expect(section.locator("strong", has_text="Chrome on Android")).to_be_visible()
    expect(section.get_by_text("Last error: push.example.com answered 500")).to_be_visible()
    # Asked only on a click, never on load.
    assert page.evaluate("() => Notification.permission") == "default"
    section.scroll_into_view_if_needed()
    browsing.check_page("pwa-devices")

    section.get_by_role("button", name="Remove Chrome on Android").click()
    expect(section.get_by_text("will get no more push notifications")).to_be_visible()
    expect(page.locator("#push-devices .device-list")).to_have_count(0)
    assert db.session.query(PushSubscription).count() == 0


def test_the_sign_out_form_names_this_browsers_push_subscription(browsing, factory):
    """Signing out forgets this browser's push device on the server (app.auth.routes.logout), so a
    shared tablet stops getting the person's alerts: push.js puts the subscription's endpoint in
    the sign-out form. Headless Chromium has no push service, so the browser's subscription is
    stood in for by its registration's answer."""
    endpoint = "https://push.example.com/send/this-tablet"
    browsing.page.add_init_script("""(() => {
        const subscription = { endpoint: %r };
        const registration = { pushManager: { getSubscription: () => Promise.resolve(subscription) } };
        navigator.serviceWorker.getRegistration = () => Promise.resolve(registration);
    })()""" % endpoint)
    page = browsing.login(factory.user(name="Tia Tablet"))
    expect(page.locator("form[action='/logout'] [name=push_endpoint]")).to_have_value(endpoint)
