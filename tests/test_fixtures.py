"""The suite's own machinery (tests/conftest.py, tests/fast_app.py): a test that assumes a fresh
database or a correctly built URL must be able to rely on it."""
from __future__ import annotations

from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Label, Workspace
from tests import fast_app
from tests.conftest import _clean_database, base_config


def test_a_cleaned_database_is_empty_and_hands_out_ids_from_one_again(app, factory):
    workspace = factory.workspace("First")
    db.session.add(Label(workspace_id=workspace.id, name="VIP"))
    db.session.commit()
    db.session.remove()

    _clean_database()

    assert db.session.scalar(select(func.count()).select_from(Workspace)) == 0
    assert db.session.scalar(select(func.count()).select_from(Label)) == 0
    again = factory.workspace("Second")
    assert again.id == 1  # as TRUNCATE ... RESTART IDENTITY left it


def test_apps_share_each_rules_builder_and_build_the_same_urls(app, database_url):
    other = create_app(base_config(database_url))
    ours = {rule.rule: rule for rule in app.url_map.iter_rules()}
    for rule in other.url_map.iter_rules():
        # One compiled function per rule for the session, bound to each app's own rule.
        assert rule._build.__func__ is ours[rule.rule]._build.__func__
    uncached = {rule.endpoint: fast_app._COMPILE_BUILDER(rule, True).__get__(rule, None)
                for rule in other.url_map.iter_rules()}
    cases = [
        ("inbox.conversation", {"conversation_id": 7, "at": 3, "q": "zebra parka"}),
        ("static", {"filename": "css/app.css"}),
        ("inbox.index", {"status": "open", "q": "ü & ?"}),
    ]
    with other.test_request_context():
        for endpoint, values in cases:
            rule = next(r for r in other.url_map.iter_rules() if r.endpoint == endpoint)
            assert rule.build(dict(values)) == uncached[endpoint](**values)
    with other.app_context():
        db.engine.dispose()
