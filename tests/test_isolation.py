"""Workspace B's ids are 404 for workspace A, in pages and in the API."""
import pytest

from app.auth.api_tokens import create_token
from app.extensions import db


@pytest.fixture
def two_workspaces(factory):
    ws_a, ws_b = factory.workspace("A"), factory.workspace("B")
    user_a = factory.user(ws_a, password="pw-a-123456")
    account_b = factory.account(ws_b)
    conversation_b = factory.conversation(account_b)
    factory.message(conversation_b, text="secret from B")
    lead_b = factory.lead(conversation_b)
    return user_a, conversation_b, lead_b, account_b


def test_other_workspace_conversation_is_404_in_pages(client, auth, two_workspaces):
    user_a, conversation_b, _, _ = two_workspaces
    auth.login(user_a, password="pw-a-123456")
    response = client.get(f"/conversations/{conversation_b.id}")
    assert response.status_code == 404
    assert "secret from B" not in response.get_data(as_text=True)


def test_other_workspace_rows_are_not_listed(client, auth, two_workspaces):
    user_a, _, _, account_b = two_workspaces
    auth.login(user_a, password="pw-a-123456")
    for path in ("/", "/leads", "/accounts"):
        body = client.get(path).get_data(as_text=True)
        assert "secret from B" not in body
        assert account_b.username not in body


def test_other_workspace_accounts_are_not_in_the_api(client, two_workspaces):
    user_a, _, _, account_b = two_workspaces
    _, token = create_token(user_a, "t")
    db.session.commit()
    response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json() == {"data": []}


def test_unknown_conversation_id_is_404(client, auth):
    auth.login()
    assert client.get("/conversations/999999").status_code == 404
