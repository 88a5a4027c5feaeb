"""Fixtures for the comments tests: a connected account, signed `changes` deliveries, and Meta's
Graph API at http://graph.test answering profile lookups (customers who never wrote a DM have
none: 400) and media lookups (`POST_BODY`)."""
from __future__ import annotations

import json
import re

import pytest
import responses

from app.extensions import db
from app.instagram import payloads as p
from tests.meta_kit import GRAPH_URL, GRAPH_VERSION, graph_error_body
from tests.webhooks.helpers import post

MEDIA = "17900000000000001"
GRAPH_ID_URL = re.compile(rf"{re.escape(GRAPH_URL)}/{re.escape(GRAPH_VERSION)}/(\d+)\?.*")


def post_body(media_id: str = MEDIA) -> dict:
    return {"id": media_id, "caption": "New summer collection — comment PRICE",
            "media_type": "IMAGE", "media_product_type": "FEED",
            "media_url": f"https://cdn.example/{media_id}.jpg",
            "permalink": f"https://www.instagram.com/p/{media_id[-6:]}/", "timestamp": "2026-12-01T10:00:00+0000"}


@pytest.fixture
def graph(meta):
    """Profile lookups fail (a commenter is not a DM contact of Meta's yet); media lookups answer
    `graph.media[id]` (a body, or an (status, body) pair), by default `post_body`."""
    meta.media = {}
    meta.media_calls = []

    def answer(request):
        object_id = GRAPH_ID_URL.match(request.url).group(1)
        if "caption" in request.url:
            meta.media_calls.append(object_id)
            found = meta.media.get(object_id, post_body(object_id))
            status, body = found if isinstance(found, tuple) else (200, found)
            return status, {"Content-Type": "application/json"}, json.dumps(body)
        return 400, {"Content-Type": "application/json"}, json.dumps(graph_error_body(100, 33, "Unsupported get request"))

    meta.add_callback(responses.GET, GRAPH_ID_URL, callback=answer)
    return meta


@pytest.fixture
def account(factory):
    return factory.account(username="shop")


@pytest.fixture
def deliver(client, account, graph):
    """Post comment changes for `account` as one signed delivery (`times` over); returns its status."""
    def deliver(*changes, times=1, time_s=1_765_000_000):
        body = p.delivery(p.change_entry(account.ig_user_id, list(changes), time_s=time_s))
        for _ in range(times):
            response = post(client, body)
            assert response.status_code == 200, response.get_data(as_text=True)
        db.session.expire_all()
        return response.get_json()["status"]
    return deliver


def comment(account, cid="c1", text="PRICE please", commenter="5550001", media=MEDIA, **kw):
    return p.comment(account.ig_user_id, commenter, cid, text, media, **kw)
