"""The OpenAPI document matches the code: every /api/v1 route is documented with exactly its
methods and path parameters, nothing documented is missing from the app, and a real response of
every operation validates against its schema (the `api` client checks every response it gets)."""
from datetime import timedelta

import responses
from openapi_spec_validator import validate

from app.api.openapi import OPENAPI
from app.integrations.endpoints import create_endpoint
from app.models import utcnow
from app.notifications.create import notify
from tests.api.openapi_check import PREFIX, openapi_path
from tests.comments.helpers import comments_thread
from tests.meta_kit import graph_url, success_ok

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # added by Flask to every rule
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def _api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")]


def test_document_is_valid_openapi_3_1(client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert served.get_json() == OPENAPI
    validate(served.get_json())  # raises on any violation of the OpenAPI 3.1 schema


def test_every_route_is_documented_with_its_methods(app):
    documented = {}
    for path, item in OPENAPI["paths"].items():
        documented[path] = {m.upper() for m in item if m in HTTP_METHODS}
    routed = {}
    for rule in _api_rules(app):
        routed.setdefault(openapi_path(rule.rule), set()).update(rule.methods - IGNORED_METHODS)
    assert routed == documented


def test_path_parameters_match_the_rules(app):
    for rule in _api_rules(app):
        item = OPENAPI["paths"][openapi_path(rule.rule)]
        names = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        for method in rule.methods - IGNORED_METHODS:
            names |= {p["name"] for p in item[method.lower()].get("parameters", []) if p["in"] == "path"}
        assert names == set(rule.arguments), rule.rule


def test_every_operation_answers_as_documented(api, factory, meta_ok):
    """One successful call per documented operation; the client validates each body against the
    operation's schema with every object closed, so an undocumented field fails here too."""
    colleague = factory.user(api.workspace, role="agent")
    contact = factory.contact(api.account, username="ann", name="Ann", profile_pic_url="https://cdn.test/a.jpg")
    conversation = factory.conversation(api.account, contact=contact, last_inbound_at=utcnow(), unread_count=1,
                                        last_message_preview="hi", status="snoozed",
                                        snoozed_until=utcnow() + timedelta(days=1), assignee_id=colleague.id)
    factory.message(conversation, attachments=[{"type": "image", "payload": {"url": "https://cdn.test/x.jpg"}}],
                    reactions=[{"emoji": "👍", "reaction": "like", "by": "customer"}], reply_to_mid="mid.0")
    factory.message(conversation, text="deleted", is_deleted=True)
    factory.message(conversation, direction="out", text="reply", status="pending", mid=None, source="api",
                    sent_by_id=api.user.id)
    lead = factory.lead(conversation, notes="n", owner_id=colleague.id, source_detail={"ref": "bio"})
    factory.lead(factory.conversation(api.account))
    account = api.account
    account.last_webhook_at = utcnow()
    account.last_error = "token expired"
    api.app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset({"crm.test"})  # no DNS here; nothing is sent
    webhook, _ = create_endpoint(api.workspace.id, "https://crm.test/hook", ["lead.created"], api.user)
    for _ in range(2):  # two, so the list has a next_cursor
        notify(api.workspace.id, "assigned", [api.user.id], text_="Col assigned you", conversation_id=conversation.id,
               actor_id=colleague.id)

    comments_thread(factory, account=api.account)  # comment "c1" (app/api/comments.py)
    meta_ok.add(responses.POST, graph_url("c1", "replies"), json={"id": "c-ours-1"})
    meta_ok.add(responses.POST, graph_url("c1"), **success_ok())

    calls = {
        ("post", "/comments/{comment_id}/reply"): ("/comments/c1/reply", {"json": {"text": "Sent you a DM"}}),
        ("post", "/comments/{comment_id}/private-reply"): ("/comments/c1/private-reply", {"json": {"text": "Hi!"}}),
        ("post", "/comments/{comment_id}/hide"): ("/comments/c1/hide", {"json": {"hidden": True}}),
        ("get", "/conversations"): ("/conversations?limit=1", {}),
        ("get", "/conversations/{conversation_id}"): (f"/conversations/{conversation.id}", {}),
        ("patch", "/conversations/{conversation_id}"): (f"/conversations/{conversation.id}", {"json": {"status": "open"}}),
        ("post", "/conversations/{conversation_id}/read"): (f"/conversations/{conversation.id}/read", {}),
        ("get", "/conversations/{conversation_id}/messages"): (f"/conversations/{conversation.id}/messages?limit=2", {}),
        ("post", "/conversations/{conversation_id}/messages"): (f"/conversations/{conversation.id}/messages",
                                                               {"json": {"text": "On its way"}}),
        ("post", "/conversations/{conversation_id}/notes"): (f"/conversations/{conversation.id}/notes",
                                                            {"json": {"text": "@Col have a look", "mentions": [colleague.id]}}),
        ("get", "/leads"): ("/leads?limit=1", {}),
        ("patch", "/leads/{lead_id}"): (f"/leads/{lead.id}", {"json": {
            "status": "won", "notes": None, "value": "1250.50", "currency": "EUR", "email": "ann@example.com",
            "phone": "+1 555 010 9999", "next_follow_up_at": "2027-01-04T09:00:00+01:00", "follow_up_note": "call"}}),
        ("get", "/leads/{lead_id}/history"): (f"/leads/{lead.id}/history", {}),
        ("get", "/accounts"): ("/accounts", {}),
        ("patch", "/accounts/{account_id}"): (f"/accounts/{account.id}", {"json": {"assignment": "round_robin",
                                                                                  "assignees": [colleague.id]}}),
        ("put", "/conversations/{conversation_id}/labels"): (f"/conversations/{conversation.id}/labels",
                                                             {"json": {"labels": ["vip", "Hot Lead"]}}),
        ("get", "/labels"): ("/labels", {}),
        ("get", "/saved-replies"): ("/saved-replies", {}),
        ("get", "/notifications"): ("/notifications?unread=true&limit=1", {}),
        ("post", "/notifications/read"): ("/notifications/read", {"json": {"all": True}}),
        ("get", "/openapi.json"): ("/openapi.json", {}),
        ("get", "/reports/summary"): ("/reports/summary", {}),
        ("post", "/webhooks"): ("/webhooks", {"json": {"url": "https://crm.test/other", "events": ["lead.updated"]}}),
        ("get", "/webhooks"): ("/webhooks", {}),
        ("get", "/webhooks/{webhook_id}"): (f"/webhooks/{webhook.id}", {}),
        ("delete", "/webhooks/{webhook_id}"): (f"/webhooks/{webhook.id}", {}),
    }
    documented = {(m, p) for p, item in OPENAPI["paths"].items() for m in item if m in HTTP_METHODS}
    assert set(calls) == documented, "an operation without a call here"
    for (method, _), (path, kwargs) in calls.items():
        response = api.request(method.upper(), path, **kwargs)
        assert 200 <= response.status_code < 300, (path, response.get_json())
