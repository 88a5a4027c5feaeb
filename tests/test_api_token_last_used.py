"""API review O2: a token's last_used_at is written at most once a minute, so API reads do not
write to the database on every request."""
from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy import event

from app.auth.api_tokens import LAST_USED_RESOLUTION, create_token
from app.extensions import db
from app.models import ApiToken, utcnow


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def token_updates():
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _token(factory):
    user = factory.user()
    row, token = create_token(user, "crm")
    db.session.commit()
    return row.id, token


def test_two_calls_in_a_row_write_last_used_at_once(client, factory):
    row_id, token = _token(factory)
    with token_updates() as updates:
        assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
        assert client.get("/api/v1/conversations", headers=bearer(token)).status_code == 200
    assert len(updates) <= 1
    db.session.expire_all()
    assert db.session.get(ApiToken, row_id).last_used_at is not None  # the first use is recorded


def test_a_use_older_than_the_resolution_is_written_again(client, factory):
    row_id, token = _token(factory)
    stale = utcnow() - LAST_USED_RESOLUTION - timedelta(seconds=5)
    db.session.get(ApiToken, row_id).last_used_at = stale
    db.session.commit()
    with token_updates() as updates:
        assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    assert len(updates) == 1
    db.session.expire_all()
    assert db.session.get(ApiToken, row_id).last_used_at > stale


def test_a_recent_use_is_not_written(client, factory):
    row_id, token = _token(factory)
    recent = utcnow() - timedelta(seconds=10)
    db.session.get(ApiToken, row_id).last_used_at = recent
    db.session.commit()
    with token_updates() as updates:
        for _ in range(3):
            assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    assert updates == []
    db.session.expire_all()
    assert db.session.get(ApiToken, row_id).last_used_at == recent
