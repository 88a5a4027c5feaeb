"""API test fixtures: a workspace with a user, an account and a token, and a client that sends
the token and checks every response against the OpenAPI document."""
from __future__ import annotations

import json
import re

import pytest
import responses

from app.auth.api_tokens import create_token
from app.extensions import db
from tests.api.openapi_check import PREFIX, check_response
from tests.meta_kit import GRAPH_URL, sent_body


class ApiClient:
    def __init__(self, app, client, user, token):
        self.app, self.client, self.user, self.token = app, client, user, token
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, check: bool = True, headers: dict | None = None, **kwargs):
        full = path if path.startswith(PREFIX) else PREFIX + path
        response = self.client.open(full, method=method, headers={**self.headers, **(headers or {})}, **kwargs)
        if check:
            check_response(self.app, method, full, response)
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)


def make_api(app, client, user) -> ApiClient:
    _, token = create_token(user, "tests")
    db.session.commit()
    return ApiClient(app, client, user, token)


@pytest.fixture
def api(app, client, factory):
    """An admin's token in a workspace with one connected account (`api.account`)."""
    user = factory.user(name="Ada Admin")
    api = make_api(app, client, user)
    api.workspace = user.workspace
    api.account = factory.account(user.workspace, username="shop")
    return api


@pytest.fixture
def meta_ok(meta):
    """The suite's `meta`, where every send succeeds with a new mid."""
    counter = iter(range(1, 10**6))
    meta.add_callback(responses.POST, re.compile(re.escape(GRAPH_URL) + r"/v[\d.]+/\d+/messages"),
                      callback=lambda request: (200, {}, json.dumps(sent_body(f"mid.api.{next(counter)}"))))
    return meta


def error_of(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json
    error = response.get_json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error
