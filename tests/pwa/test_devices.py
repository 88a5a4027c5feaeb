"""Settings → Profile's Devices (app/pwa/devices.py, app/pwa/routes.py): what POST
/push/subscriptions accepts from a browser, the DELETE, the list, removing and `flask push keys`."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.config import ConfigError, load_config
from app.extensions import db
from app.models import PushSubscription
from app.pwa import vapid
from app.pwa.devices import MAX_DEVICES, device_label, endpoint_hash
from tests.conftest import AuthActions
from tests.notifications.push_service import BrowserKeys, b64url, push_enabled


@pytest.fixture
def push_service(app):
    with push_enabled(app) as service:
        yield service


def post_subscription(auth, body, *, csrf: bool = True, user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"):
    headers = {"User-Agent": user_agent}
    if csrf:
        headers["X-CSRFToken"] = auth.csrf_token("/settings/profile")
    return auth.client.post("/push/subscriptions", json=body, headers=headers)


def count_devices() -> int:
    return db.session.scalar(select(func.count()).select_from(PushSubscription))


def test_a_browser_subscription_is_stored_once_per_endpoint(auth, push_service):
    user = auth.login()
    keys = BrowserKeys()
    body = keys.subscription(push_service.endpoint(keys))

    first = post_subscription(auth, body)
    again = post_subscription(auth, body, user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Version/17.5 Safari/605.1.15")

    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["data"]["id"] == again.get_json()["data"]["id"]
    row = db.session.scalar(select(PushSubscription))
    assert count_devices() == 1 and row.user_id == user.id
    assert row.endpoint_hash == endpoint_hash(body["endpoint"])
    assert row.device == "Safari on macOS"  # refreshed from the later request


def bad(keys: BrowserKeys, url: str, changes: dict) -> dict:
    body = keys.subscription(url)
    for key, value in changes.items():
        if key.startswith("keys_"):
            body["keys"][key[5:]] = value
        else:
            body[key] = value
    return body


@pytest.mark.parametrize("change, field", [
    ({"endpoint": None}, "endpoint"),
    ({"endpoint": "ftp://push.example.com/x"}, "endpoint"),
    ({"keys": None}, "keys"),
    ({"keys_p256dh": None}, "keys.p256dh"),
    ({"keys_p256dh": b64url(b"\x04" + b"\x01" * 63)}, "keys.p256dh"),       # 64 bytes
    ({"keys_p256dh": b64url(b"\x04" + b"\x01" * 64)}, "keys.p256dh"),       # 65 bytes, not on the curve
    ({"keys_p256dh": "not base64 at all!"}, "keys.p256dh"),
    ({"keys_auth": b64url(b"\x00" * 15)}, "keys.auth"),
    ({"keys_auth": b64url(b"\x00" * 32)}, "keys.auth"),
    ({"keys_auth": ""}, "keys.auth"),
])
def test_a_malformed_subscription_is_422_naming_the_field(auth, push_service, change, field):
    auth.login()
    keys = BrowserKeys()

    response = post_subscription(auth, bad(keys, push_service.endpoint(keys), change))

    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field
    assert count_devices() == 0


def test_not_json_is_422(auth, push_service):
    auth.login()
    response = auth.client.post("/push/subscriptions", data="endpoint=x",
                                headers={"X-CSRFToken": auth.csrf_token("/settings/profile")})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "subscription"


@pytest.mark.parametrize("endpoint", [
    "http://push.example.com/send/abc",          # not https
    "https://127.0.0.1/send/abc",                # loopback
    "https://10.1.2.3/send/abc",                 # private
    "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
    "https://[::1]/send/abc",
])
def test_the_guard_refuses_endpoints_that_are_not_public_https(auth, push_service, endpoint):
    auth.login()
    auth.client.application.config["OUTBOUND_ALLOW_HOSTS"] = frozenset()

    response = post_subscription(auth, BrowserKeys().subscription(endpoint))

    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "endpoint"
    assert count_devices() == 0


def test_the_stand_in_on_127_0_0_1_over_http_needs_its_host_allowed(auth, push_service, app):
    auth.login()
    keys = BrowserKeys()
    endpoint = push_service.endpoint(keys)
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset()
    assert post_subscription(auth, keys.subscription(endpoint)).status_code == 422

    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset({"127.0.0.1"})  # the one exception, https rule included
    assert post_subscription(auth, keys.subscription(endpoint)).status_code == 201


def test_subscribing_needs_csrf_sign_in_and_push_on(app, auth, client, push_service):
    keys = BrowserKeys()
    body = keys.subscription(push_service.endpoint(keys))
    anonymous = client.post("/push/subscriptions", json=body, headers={"X-CSRFToken": auth.csrf_token("/login")})
    assert anonymous.status_code in (302, 401)
    auth.login()
    assert post_subscription(auth, body, csrf=False).status_code == 400
    app.config["VAPID_PUBLIC_KEY"] = None
    response = post_subscription(auth, body)
    assert response.status_code == 409 and "push keys" in response.get_json()["error"]["message"]
    assert count_devices() == 0


def test_a_person_has_at_most_so_many_devices(auth, push_service):
    auth.login()
    for _ in range(MAX_DEVICES):
        keys = BrowserKeys()
        assert post_subscription(auth, keys.subscription(push_service.endpoint(keys))).status_code == 201
    keys = BrowserKeys()
    response = post_subscription(auth, keys.subscription(push_service.endpoint(keys)))
    assert response.status_code == 422 and count_devices() == MAX_DEVICES


def test_delete_removes_only_the_persons_own_device(app, auth, factory, push_service):
    user = auth.login()
    keys = BrowserKeys()
    mine = keys.subscription(push_service.endpoint(keys))
    assert post_subscription(auth, mine).status_code == 201
    other = AuthActions(app.test_client(), factory)
    other.login(factory.user(workspace=user.workspace, role="agent"))
    token = other.csrf_token("/settings/profile")

    refused = other.client.delete("/push/subscriptions", json={"endpoint": mine["endpoint"]}, headers={"X-CSRFToken": token})
    assert refused.status_code == 404 and count_devices() == 1

    token = auth.csrf_token("/settings/profile")
    done = auth.client.delete("/push/subscriptions", json={"endpoint": mine["endpoint"]}, headers={"X-CSRFToken": token})
    assert done.status_code == 204 and count_devices() == 0
    missing = auth.client.delete("/push/subscriptions", json={}, headers={"X-CSRFToken": token})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "endpoint"


def test_signing_out_stops_this_browsers_push_and_everywhere_stops_all(app, auth, factory, push_service):
    """A rep who signed out of the shop's tablet kept getting her alerts there, customers' words in
    them (a review's finding): the sign-out form carries this browser's endpoint (static/js/push.js)
    and that device is forgotten. "Sign out everywhere" (a lost phone) forgets them all."""
    user = auth.login()
    tablet, laptop = BrowserKeys(), BrowserKeys()
    tablet_sub, laptop_sub = (k.subscription(push_service.endpoint(k)) for k in (tablet, laptop))
    assert post_subscription(auth, tablet_sub).status_code == 201
    assert post_subscription(auth, laptop_sub).status_code == 201
    someone = AuthActions(app.test_client(), factory)
    someone.login(factory.user(workspace=user.workspace, role="agent"))
    theirs = BrowserKeys()
    assert post_subscription(someone, theirs.subscription(push_service.endpoint(theirs))).status_code == 201

    # Another person's endpoint in the field changes nothing of theirs.
    assert auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/settings"),
                                            "push_endpoint": "not a url"}).status_code == 302
    assert count_devices() == 3
    auth.login(user)
    assert auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/settings"),
                                            "push_endpoint": tablet_sub["endpoint"]}).status_code == 302
    left = db.session.scalars(select(PushSubscription.endpoint_hash).where(PushSubscription.user_id == user.id)).all()
    assert left == [endpoint_hash(laptop_sub["endpoint"])] and count_devices() == 2

    auth.login(user)
    assert auth.client.post("/settings/sign-out-everywhere",
                            data={"csrf_token": auth.csrf_token("/settings/profile")}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)
                             .where(PushSubscription.user_id == user.id)) == 0
    assert count_devices() == 1  # the teammate's device stays


def test_the_profile_lists_devices_and_removes_them(app, auth, factory, push_service):
    user = auth.login()
    keys = BrowserKeys()
    post_subscription(auth, keys.subscription(push_service.endpoint(keys)))
    device = db.session.scalar(select(PushSubscription))

    html = auth.client.get("/settings/profile").get_data(as_text=True)
    assert 'id="push-devices"' in html and "Firefox on Linux" in html
    assert f'data-vapid-key="{app.config["VAPID_PUBLIC_KEY"]}"' in html
    assert "Turn on push on this device" in html and "Send a test notification" in html
    assert device.endpoint not in html  # a capability URL: never shown

    other = AuthActions(app.test_client(), factory)
    other.login(factory.user(workspace=user.workspace, role="agent"))
    assert other.post(f"/push/devices/{device.id}/remove", htmx=True).status_code == 404
    assert other.post("/push/devices/99999999999999999999/remove", htmx=True).status_code == 404
    assert count_devices() == 1

    response = auth.post(f"/push/devices/{device.id}/remove", htmx=True)
    assert response.status_code == 200
    assert "will get no more push notifications" in response.get_data(as_text=True)
    assert count_devices() == 0


def test_without_keys_the_profile_says_how_to_turn_push_on(auth):
    auth.login()
    html = auth.client.get("/settings/profile").get_data(as_text=True)
    assert "Push notifications are off on this server" in html
    # The command as code, not between literal backticks; the notification settings say it alike.
    assert "run <code>flask --app app push keys</code> and set" in html and "`" not in html
    assert "Turn on push on this device" not in html
    assert "(push: <code>flask --app app push keys</code>)" in auth.client.get("/settings/notifications").get_data(as_text=True)


def test_an_agent_is_told_who_can_turn_push_on_not_the_servers_commands(auth, factory):
    """An agent can do nothing with `flask push keys` or VAPID variables (a walk-through found them
    on a rep's profile): they are told to ask an admin."""
    auth.login(factory.user(role="agent"))
    html = auth.client.get("/settings/profile").get_data(as_text=True)
    assert "Push notifications are not set up on this server yet" in html
    assert "push keys" not in html and "VAPID" not in html
    html = auth.client.get("/settings/notifications").get_data(as_text=True)
    assert "once an admin sets" in html and "push keys" not in html and "MAIL_URL" not in html


@pytest.mark.parametrize("user_agent, label", [
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"),
    ("", "Unknown browser"),
])
def test_device_labels(user_agent, label):
    assert device_label(user_agent) == label


def test_push_keys_prints_a_pair_browsers_and_pywebpush_accept(runner):
    from py_vapid import Vapid

    result = runner.invoke(args=["push", "keys"])

    assert result.exit_code == 0, result.output
    values = dict(line.split("=", 1) for line in result.output.splitlines() if line.startswith("VAPID_"))
    assert vapid.problems(values["VAPID_PRIVATE_KEY"], values["VAPID_PUBLIC_KEY"], "mailto:ops@example.com") == []
    assert len(vapid.b64url_decode(values["VAPID_PUBLIC_KEY"])) == 65  # applicationServerKey
    assert Vapid.from_string(values["VAPID_PRIVATE_KEY"]).public_key is not None


def test_half_configured_push_refuses_to_start(tmp_path):
    pair = vapid.generate()
    other = vapid.generate()
    base = {"APP_ENV": "development", "SECRET_KEY": "x" * 40}
    assert load_config(tmp_path, base)["VAPID_PUBLIC_KEY"] is None  # unset: push off
    for env, needle in (
        ({"VAPID_PUBLIC_KEY": pair.public_key}, "VAPID_PRIVATE_KEY, VAPID_SUBJECT is not set"),
        ({"VAPID_PUBLIC_KEY": other.public_key, "VAPID_PRIVATE_KEY": pair.private_key, "VAPID_SUBJECT": "mailto:a@b.c"},
         "does not belong"),
        ({"VAPID_PUBLIC_KEY": pair.public_key, "VAPID_PRIVATE_KEY": "nope", "VAPID_SUBJECT": "mailto:a@b.c"},
         "VAPID_PRIVATE_KEY is not"),
        ({"VAPID_PUBLIC_KEY": pair.public_key, "VAPID_PRIVATE_KEY": pair.private_key, "VAPID_SUBJECT": "ops"},
         "VAPID_SUBJECT must be"),
    ):
        with pytest.raises(ConfigError, match=needle):
            load_config(tmp_path, {**base, **env})
    good = load_config(tmp_path, {**base, "VAPID_PUBLIC_KEY": pair.public_key, "VAPID_PRIVATE_KEY": pair.private_key,
                                  "VAPID_SUBJECT": "https://inbox.example.com/contact"})
    assert good["VAPID_PUBLIC_KEY"] == pair.public_key


def test_the_sections_urls_opened_as_pages_lead_to_their_page(auth, factory):
    """The devices section's and a history import's own URLs are htmx fragments: opened as a page
    (typed, a bookmark) they showed raw markup (found by a walk-through); they lead to the page."""
    from tests.meta_kit import HX

    admin = factory.user(role="admin")
    account = factory.account(admin.workspace)
    auth.login(admin)
    page = auth.client.get("/push/devices")
    assert page.status_code == 302 and page.headers["Location"].endswith("/settings/profile#push-devices")
    assert 'id="push-devices"' in auth.client.get("/push/devices", headers=HX).get_data(as_text=True)
    page = auth.client.get(f"/accounts/{account.id}/import")
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/accounts#account-{account.id}")
    assert auth.client.get(f"/accounts/{account.id}/import", headers=HX).status_code == 200
