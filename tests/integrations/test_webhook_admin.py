"""Registering outbound webhooks: the JSON API (admins only, 422 naming the field, another
workspace's id is a 404) and Settings → Integrations (agents 403; the secret shown once; the guard's
reason next to the URL; pause, test event, delete)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.integrations.endpoints import create_endpoint, secret_of
from app.models import AuditEntry, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.api.conftest import error_of, make_api


def test_api_registers_lists_reads_and_deletes(admin_api, receiver):
    response = admin_api.post("/webhooks", json={"url": receiver.url, "events": ["message.created", "lead.created"]})
    assert response.status_code == 201
    created = response.get_json()["data"]
    assert created["events"] == ["lead.created", "message.created"] and created["url"] == receiver.url
    endpoint = db.session.get(WebhookEndpoint, created["id"])
    assert secret_of(endpoint) == created["secret"] and created["secret"].encode() not in endpoint.secret_encrypted

    listed = admin_api.get("/webhooks").get_json()["data"]
    assert [(w["id"], w["active"]) for w in listed] == [(created["id"], True)] and "secret" not in listed[0]
    assert admin_api.get(f"/webhooks/{created['id']}").get_json()["data"]["url"] == receiver.url
    assert admin_api.request("DELETE", f"/webhooks/{created['id']}").status_code == 204
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    error_of(admin_api.get(f"/webhooks/{created['id']}"), 404)
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "integration.created", "integration.deleted"]


def test_api_validation_names_the_field(admin_api, receiver, app):
    bad_events = error_of(admin_api.post("/webhooks", json={"url": receiver.url,
                                                            "events": ["lead.created", "deal.won", "x"]}), 422)
    assert bad_events["field"] == "events" and "deal.won, x" in bad_events["message"]
    assert error_of(admin_api.post("/webhooks", json={"url": receiver.url, "events": []}), 422)["field"] == "events"
    for url in ("ftp://127.0.0.1/x", "not a url", "", "https://user:pw@127.0.0.1/x", "http://127.0.0.1/a\x00b",
                "https://\ud800.example/", 42, None, ["https://crm.test"]):
        assert error_of(admin_api.post("/webhooks", json={"url": url, "events": ["lead.created"]}), 422)["field"] == "url"
    assert error_of(admin_api.post("/webhooks", json={"events": ["lead.created"]}), 422)["field"] == "url"
    app.config["APP_ENV"] = "production"  # https only there, even for an allowed host
    error = error_of(admin_api.post("/webhooks", json={"url": receiver.url, "events": ["lead.created"]}), 422)
    assert error["field"] == "url" and "https" in error["message"]
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_api_is_for_admins_and_scoped_to_the_workspace(app, client, factory, admin_api, receiver):
    agent = make_api(app, client, factory.user(admin_api.workspace, role="agent"))
    assert error_of(agent.get("/webhooks"), 403)["code"] == "forbidden"
    error_of(agent.post("/webhooks", json={"url": receiver.url, "events": ["lead.created"]}), 403)
    other_workspace = factory.workspace("Elsewhere")
    theirs, _ = create_endpoint(other_workspace.id, receiver.url, ["lead.created"], None)
    error_of(admin_api.get(f"/webhooks/{theirs.id}"), 404)
    error_of(admin_api.request("DELETE", f"/webhooks/{theirs.id}"), 404)
    assert admin_api.get("/webhooks").get_json()["data"] == []
    assert db.session.get(WebhookEndpoint, theirs.id) is not None


def test_settings_page_adds_an_endpoint_and_shows_the_secret_once(auth, client, factory, receiver):
    admin = auth.login()
    page = client.get("/settings/integrations")
    assert page.status_code == 200 and "Add an endpoint" in page.get_data(as_text=True)
    response = auth.post("/settings/integrations", data={"url": receiver.url, "events": ["lead.updated"],
                                                         "form_id": "f1"})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    endpoint = db.session.scalar(select(WebhookEndpoint))
    html = response.get_data(as_text=True)
    assert secret_of(endpoint) in html and 'data-copy-target="new-secret"' in html
    assert secret_of(endpoint) not in client.get("/settings/integrations").get_data(as_text=True)
    # Reloading the page that showed it (the same form again) adds nothing.
    again = auth.post("/settings/integrations", data={"url": receiver.url, "events": ["lead.updated"], "form_id": "f1"})
    assert "already added its endpoint" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1
    assert endpoint.workspace_id == admin.workspace_id and endpoint.events == ["lead.updated"]


def test_settings_page_shows_the_guards_reason_next_to_the_url(auth, client, app):
    auth.login()
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset()
    response = auth.post("/settings/integrations", data={"url": "http://127.0.0.1:9/x", "events": ["lead.created"]})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="url-error"' in html and "private or local address (127.0.0.1)" in html
    assert 'aria-describedby="url-error"' in html and 'value="http://127.0.0.1:9/x"' in html
    response = auth.post("/settings/integrations", data={"url": "https://example.invalid/", "events": []})
    assert response.status_code == 422


def test_settings_pause_test_event_and_delete(auth, client, receiver):
    admin = auth.login()
    endpoint, secret = create_endpoint(admin.workspace_id, receiver.url, ["lead.created"], admin)
    assert auth.post(f"/settings/integrations/{endpoint.id}/active", data={}).status_code == 302
    db.session.refresh(endpoint)
    assert endpoint.active is False
    auth.post(f"/settings/integrations/{endpoint.id}/test")
    assert receiver.received == []  # paused: nothing sent, not even a test
    auth.post(f"/settings/integrations/{endpoint.id}/active", data={"active": "on"})
    auth.post(f"/settings/integrations/{endpoint.id}/test")
    assert [r.headers["x-inbox-event"] for r in receiver.received] == ["ping"]
    page = client.get(f"/settings/integrations/{endpoint.id}").get_data(as_text=True)
    assert "ping" in page and "Redeliver" in page
    assert auth.post(f"/settings/integrations/{endpoint.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 0


def test_agents_get_403_and_other_workspaces_ids_are_404(auth, client, factory, receiver):
    admin = factory.user()
    endpoint, _ = create_endpoint(admin.workspace_id, receiver.url, ["lead.created"], admin)
    auth.login(factory.user(admin.workspace, role="agent"))
    assert client.get("/settings/integrations").status_code == 403
    assert auth.post("/settings/integrations", data={"url": receiver.url, "events": ["lead.created"]}).status_code == 403
    assert client.get(f"/settings/integrations/{endpoint.id}").status_code == 403

    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(factory.user(factory.workspace("Elsewhere")))
    assert client.get(f"/settings/integrations/{endpoint.id}").status_code == 404
    assert auth.post(f"/settings/integrations/{endpoint.id}/delete").status_code == 404
    assert auth.post(f"/settings/integrations/{endpoint.id}/test").status_code == 404
    assert db.session.get(WebhookEndpoint, endpoint.id) is not None
