"""Outbound webhooks through the API (docs/contract.md, "Outbound webhooks"), admins only: register
an endpoint (its secret is in the 201, once), list, read and delete them. The rules are
app.integrations.endpoints', as for Settings → Integrations."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.api import bp
from app.api.errors import ApiError
from app.api.params import json_body
from app.api.serializers import webhook_json
from app.integrations.endpoints import create_endpoint, delete_endpoint, endpoint_in, workspace_endpoints
from app.scoping import current_workspace_id, valid_id


def _admin() -> None:
    if not current_user.is_admin:
        raise ApiError(403, "forbidden", "Only workspace admins can manage webhooks.")


def _endpoint_or_404(webhook_id: int):
    endpoint = endpoint_in(current_workspace_id(), webhook_id) if valid_id(webhook_id) else None
    if endpoint is None:
        raise ApiError(404, "not_found", "No such webhook.")
    return endpoint


@bp.post("/webhooks")
def create_webhook():
    """422 naming `url` (not https in production, a private or local address, unresolvable) or
    `events` (empty, or names no such event: they are listed)."""
    _admin()
    body = json_body(("url", "events"))
    endpoint, secret = create_endpoint(current_workspace_id(), body.get("url"), body.get("events"),
                                       current_user._get_current_object())
    return jsonify(data={"id": endpoint.id, "url": endpoint.url, "events": list(endpoint.events),
                         "secret": secret}), 201


@bp.get("/webhooks")
def list_webhooks():
    _admin()
    return jsonify(data=[webhook_json(e) for e in workspace_endpoints(current_workspace_id())])


@bp.get("/webhooks/<int:webhook_id>")
def get_webhook(webhook_id: int):
    _admin()
    return jsonify(data=webhook_json(_endpoint_or_404(webhook_id)))


@bp.delete("/webhooks/<int:webhook_id>")
def delete_webhook(webhook_id: int):
    _admin()
    delete_endpoint(_endpoint_or_404(webhook_id), current_user._get_current_object())
    return "", 204
