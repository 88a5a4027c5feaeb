"""users.last_seen_at (app.auth.activity): written by signed-in browser requests, the live poll
included, at most once a minute and by one conditional UPDATE; not by the JSON API, nor for
anyone signed out."""
from __future__ import annotations

from datetime import timedelta

from app.auth.activity import SEEN_RESOLUTION
from app.auth.api_tokens import create_token
from app.extensions import db
from app.models import User, utcnow
from tests.sql_log import sql_sent


def updates_of_users(seen) -> list[str]:
    return [s.statement for s in seen if s.statement.lstrip().upper().startswith("UPDATE USERS")]


def last_seen(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).last_seen_at


def test_a_signed_in_request_records_activity_once_a_minute(client, auth, factory):
    user = auth.login(factory.user())
    with sql_sent() as seen:
        assert client.get("/").status_code == 200
        assert client.get("/settings").status_code == 200
    assert len(updates_of_users(seen)) == 1  # the first request; the second is within the minute
    first = last_seen(user.id)
    assert first is not None and utcnow() - first < timedelta(seconds=30)

    stale = utcnow() - SEEN_RESOLUTION - timedelta(seconds=5)
    db.session.get(User, user.id).last_seen_at = stale
    db.session.commit()
    with sql_sent() as seen:
        assert client.get("/inbox/changes").status_code in (200, 204)  # the live poll counts
    assert len(updates_of_users(seen)) == 1
    assert last_seen(user.id) > stale


def test_the_update_is_conditional_so_a_racing_request_writes_nothing(app, factory):
    from app.auth.activity import record_activity

    user = factory.user()
    now = utcnow()
    user.last_seen_at = now - timedelta(minutes=5)
    db.session.commit()
    stale_copy = db.session.get(User, user.id)
    # Another request of the same person wrote a moment ago; this one still holds the old value.
    db.session.execute(User.__table__.update().where(User.id == user.id).values(last_seen_at=now))
    db.session.commit()
    stale_copy.__dict__["last_seen_at"] = now - timedelta(minutes=5)
    assert record_activity(stale_copy, now + timedelta(seconds=10)) is False
    assert last_seen(user.id) == now


def test_api_calls_and_signed_out_visitors_record_nothing(client, factory):
    user = factory.user()
    _, token = create_token(user, "crm")
    db.session.commit()
    assert client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/login").status_code == 200
    assert last_seen(user.id) is None
