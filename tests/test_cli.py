from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User, Workspace


def test_users_create_first_is_admin_then_agent(runner):
    result = runner.invoke(args=["users", "create", "Boss@Example.com", "--password", "harbour-lantern-42", "--workspace", "Acme"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "rep@example.com", "--password", "harbour-lantern-42", "--workspace", "Acme"])
    assert result.exit_code == 0, result.output
    users = {u.email: u for u in db.session.scalars(select(User))}
    assert users["boss@example.com"].role == "admin"
    assert users["rep@example.com"].role == "agent"
    assert db.session.scalar(select(Workspace).where(Workspace.name == "Acme")) is not None


def test_users_create_refuses_duplicates_and_short_passwords(runner):
    runner.invoke(args=["users", "create", "a@example.com", "--password", "harbour-lantern-42"])
    result = runner.invoke(args=["users", "create", "a@example.com", "--password", "harbour-lantern-42"])
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["users", "create", "b@example.com", "--password", "short"])
    assert result.exit_code != 0 and "at least 10" in result.output


def test_tokens_create_prints_once_and_stores_hash(runner, client):
    runner.invoke(args=["users", "create", "a@example.com", "--password", "harbour-lantern-42"])
    result = runner.invoke(args=["tokens", "create", "a@example.com", "--name", "zapier"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("igi_")
    row = db.session.scalar(select(ApiToken))
    assert row.name == "zapier" and token not in row.token_hash
    assert client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_tokens_create_unknown_user(runner):
    result = runner.invoke(args=["tokens", "create", "ghost@example.com"])
    assert result.exit_code != 0 and "no user" in result.output
