"""API review O2: a token's last_used_at is written at most once a minute, so API reads do not
write to the database on every request."""
from __future__ import annotations

from datetime import timedelta


from app.auth.api_tokens import LAST_USED_RESOLUTION, create_token
from app.extensions import db
from app.models import ApiToken, utcnow
from tests.sql_log import sql_sent


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def updates_of_tokens(seen) -> list[str]:
    return [sent.statement for sent in seen if sent.statement.lstrip().upper().startswith("UPDATE API_TOKENS")]


def _token(factory):
    user = factory.user()
    row, token = create_token(user, "crm")
    db.session.commit()
    return row.id, token


def test_two_calls_in_a_row_write_last_used_at_once(client, factory):
    row_id, token = _token(factory)
    with sql_sent() as seen:
        assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
        assert client.get("/api/v1/conversations", headers=bearer(token)).status_code == 200
    assert len(updates_of_tokens(seen)) <= 1
    db.session.expire_all()
    assert db.session.get(ApiToken, row_id).last_used_at is not None  # the first use is recorded


def test_a_use_older_than_the_resolution_is_written_again(client, factory):
    row_id, token = _token(factory)
    stale = utcnow() - LAST_USED_RESOLUTION - timedelta(seconds=5)
    db.session.get(ApiToken, row_id).last_used_at = stale
    db.session.commit()
    with sql_sent() as seen:
        assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    assert len(updates_of_tokens(seen)) == 1
    db.session.expire_all()
    assert db.session.get(ApiToken, row_id).last_used_at > stale


def test_a_recent_use_is_not_written(client, factory):
    row_id, token = _token(factory)
    recent = utcnow() - timedelta(seconds=10)
    db.session.get(ApiToken, row_id).last_used_at = recent
    db.session.commit()
    with sql_sent() as seen:
        for _ in range(3):
            assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    assert updates_of_tokens(seen) == []
    db.session.expire_all()
    assert db.session.get(ApiToken, row_id).last_used_at == recent
