"""`PATCH /api/v1/accounts/<id>` {"assignment", "assignees"} (admins): docs/contract.md."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AccountAssignee
from tests.api.conftest import make_api


def test_admin_sets_mode_and_people(api, factory):
    agent = factory.user(api.workspace, role="agent")
    response = api.patch(f"/accounts/{api.account.id}", json={"assignment": "round_robin", "assignees": [agent.id]})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["assignment"] == "round_robin" and data["assignees"] == [agent.id] and data["id"] == api.account.id
    # Mode alone leaves the people; an empty list clears them.
    data = api.patch(f"/accounts/{api.account.id}", json={"assignment": "least_open"}).get_json()["data"]
    assert data["assignment"] == "least_open" and data["assignees"] == [agent.id]
    data = api.patch(f"/accounts/{api.account.id}", json={"assignees": []}).get_json()["data"]
    assert data["assignment"] == "least_open" and data["assignees"] == []
    assert db.session.scalars(select(AccountAssignee)).all() == []


def test_refusals_name_the_field(api, factory):
    outsider = factory.user(factory.workspace(), role="agent")
    former = factory.user(api.workspace, role="agent")
    former.active = False
    db.session.commit()
    url = f"/accounts/{api.account.id}"
    for body, field in (({"assignment": "everyone"}, "assignment"), ({"assignment": None}, "assignment"),
                        ({"assignees": [outsider.id]}, "assignees"), ({"assignees": [former.id]}, "assignees"),
                        ({"assignees": "all"}, "assignees"), ({"assignees": [0]}, "assignees"),
                        ({"mode": "off"}, "mode")):
        response = api.patch(url, json=body)
        assert response.status_code in (400, 422), body
        assert response.get_json()["error"]["field"] == field, body
    db.session.refresh(api.account)
    assert api.account.assignment == "off"


def test_agents_are_refused_and_other_workspaces_are_404(app, client, api, factory):
    other = factory.account(factory.workspace())
    assert api.patch(f"/accounts/{other.id}", json={"assignment": "round_robin"}).status_code == 404
    agent_api = make_api(app, client, factory.user(api.workspace, role="agent"))
    response = agent_api.patch(f"/accounts/{api.account.id}", json={"assignment": "round_robin"})
    assert response.status_code == 403
    db.session.refresh(api.account)
    assert api.account.assignment == "off"
