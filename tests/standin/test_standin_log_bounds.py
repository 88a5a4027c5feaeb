"""F-23: the stand-in's request log (unauthenticated in demo mode) cannot grow without bound: it
keeps the latest MAX_RECORDED requests, and a huge body is recorded by its size only."""

from __future__ import annotations

from flask import Flask

from app.standin import init_standin
from app.standin.control import MAX_RECORDED, MAX_RECORDED_BODY
from tests.meta_kit import GRAPH_VERSION


def demo_app() -> Flask:
    app = Flask("demo")
    app.config.update(STANDIN_SIGNING_KEY="k", SECRET_KEY="x", WTF_CSRF_ENABLED=False)
    init_standin(app)
    return app


def test_the_request_log_keeps_only_the_latest_requests():
    app = demo_app()
    client = app.test_client()
    for i in range(MAX_RECORDED + 50):
        client.get(f"/_meta/graph/{GRAPH_VERSION}/thing{i}")
    log = app.extensions["standin"].requests
    assert len(log) == MAX_RECORDED
    assert log[0].path == f"/{GRAPH_VERSION}/thing50" and log[-1].path == f"/{GRAPH_VERSION}/thing{MAX_RECORDED + 49}"


def test_a_huge_body_is_recorded_by_its_size_only():
    app = demo_app()
    client = app.test_client()
    huge = {"message": {"text": "x" * (MAX_RECORDED_BODY + 1)}}
    client.post(f"/_meta/graph/{GRAPH_VERSION}/anything/messages", json=huge)
    client.post("/_meta/api/oauth/access_token", data={"code": "y" * (MAX_RECORDED_BODY + 1)})
    client.post(f"/_meta/graph/{GRAPH_VERSION}/anything/messages", json={"message": {"text": "small"}})
    big_json, big_form, small = app.extensions["standin"].requests
    assert big_json.json is None and big_json.form == {} and big_json.body_size > MAX_RECORDED_BODY
    assert big_form.json is None and big_form.form == {} and big_form.body_size > MAX_RECORDED_BODY
    assert small.json == {"message": {"text": "small"}} and 0 < small.body_size < 100
