from app.auth.api_tokens import create_token, revoke
from app.extensions import db
from app.models import ApiToken


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_auth_works_and_records_use(client, factory):
    user = factory.user()
    account = factory.account(user.workspace, username="acme")
    row, token = create_token(user, "crm")
    db.session.commit()
    response = client.get("/api/v1/accounts", headers=bearer(token))
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert [a["username"] for a in data] == ["acme"]
    assert "token" not in str(data).lower().replace("token_expires_at", "")
    assert "IGQWRtestTOKENvalue" not in response.get_data(as_text=True)
    assert db.session.get(ApiToken, row.id).last_used_at is not None


def test_token_is_stored_hashed(factory):
    user = factory.user()
    row, token = create_token(user, "crm")
    db.session.commit()
    assert token not in (row.token_hash, row.prefix)
    assert len(row.token_hash) == 64


def test_missing_wrong_and_revoked_tokens_are_401(client, factory):
    user = factory.user()
    row, token = create_token(user, "crm")
    db.session.commit()
    for headers in ({}, bearer("igi_wrong"), bearer(""), {"Authorization": f"Basic {token}"}):
        response = client.get("/api/v1/accounts", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    revoke(row)
    db.session.commit()
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 401


def test_session_cookie_does_not_authenticate_the_api(client, auth):
    auth.login()
    response = client.get("/api/v1/accounts")
    assert response.status_code == 401


def test_api_errors_are_json(client, factory):
    user = factory.user()
    _, token = create_token(user, "crm")
    db.session.commit()
    response = client.get("/api/v1/nope", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_tokens_page_shows_new_token_once_and_revokes(client, auth):
    auth.login()
    response = auth.post("/settings/tokens", {"name": "Sheets"})
    body = response.get_data(as_text=True)
    assert "Sheets" in body and "igi_" in body
    token = body.split('id="new-token">')[1].split("<")[0]
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    page = client.get("/settings").get_data(as_text=True)
    assert token not in page
    token_id = db.session.query(ApiToken).one().id
    auth.post(f"/settings/tokens/{token_id}/revoke")
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 401


def test_cannot_revoke_someone_elses_token(client, auth, factory):
    other = factory.user()
    row, _ = create_token(other, "theirs")
    db.session.commit()
    auth.login()
    assert auth.post(f"/settings/tokens/{row.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, row.id).revoked_at is None
