"""The pages: the availability toggle, Settings → Workspace's auto-away delay, the Accounts page's
auto-assignment form (admins only, workspace-scoped), and where availability and the reason show."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AccountAssignee, AuditEntry
from tests.assignment.helpers import present


def test_toggle_availability_by_htmx_answers_the_fragment_and_the_menu_dot(auth):
    user = auth.login()
    response = auth.post("/availability", {"availability": "away", "place": "menu"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="availability-menu"' in html and "Set yourself available" in html
    assert 'id="my-presence" hx-swap-oob="true"' in html and "presence--away" in html and "(away)" in html
    db.session.refresh(user)
    assert user.availability == "away"
    response = auth.post("/availability", {"availability": "available", "place": "profile"}, htmx=True)
    assert "Set yourself away" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.availability == "available"


def test_toggle_without_js_redirects_and_refuses_nonsense(auth):
    user = auth.login()
    response = auth.post("/availability", {"availability": "away"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings/profile")
    assert auth.post("/availability", {"availability": "busy"}).status_code == 422
    db.session.refresh(user)
    assert user.availability == "away"


def test_toggle_needs_csrf(auth, client):
    auth.login()
    assert client.post("/availability", data={"availability": "away"}).status_code == 400


def test_menu_and_profile_show_the_toggle(auth):
    user = auth.login()
    present(user)
    page = auth.client.get("/settings/profile").get_data(as_text=True)
    assert 'id="availability-menu"' in page and 'id="availability-profile"' in page
    assert 'class="presence presence--available"' in page


def test_workspace_auto_away_minutes(auth, factory):
    admin = auth.login()
    form = {"name": admin.workspace.name, "timezone": "UTC", "alert_email_after_minutes": "10"}
    assert auth.post("/settings/workspace", {**form, "auto_away_minutes": "0"}).status_code == 302
    db.session.refresh(admin.workspace)
    assert admin.workspace.auto_away_minutes == 0
    for bad in ("1441", "-1", "ten", "", "1.5"):
        response = auth.post("/settings/workspace", {**form, "auto_away_minutes": bad})
        assert response.status_code == 422, bad
        assert "0 (never) to 1440" in response.get_data(as_text=True)
    assert auth.post("/settings/workspace", {**form, "auto_away_minutes": "1440"}).status_code == 302
    db.session.refresh(admin.workspace)
    assert admin.workspace.auto_away_minutes == 1440
    assert auth.post("/settings/workspace", form).status_code == 302  # absent: unchanged
    db.session.refresh(admin.workspace)
    assert admin.workspace.auto_away_minutes == 1440


def test_accounts_page_sets_mode_and_subset(auth, factory):
    admin = auth.login()
    account = factory.account(admin.workspace)
    agent = factory.user(admin.workspace, role="agent", name="Bea")
    page = auth.client.get("/accounts").get_data(as_text=True)
    assert f'id="assignment-{account.id}"' in page and "Bea" in page
    response = auth.post(f"/accounts/{account.id}/assignment",
                         {"assignment": "least_open", "restrict": "on", "assignees": [str(agent.id)]}, htmx=True)
    assert response.status_code == 200
    assert "Saved: fewest open conversations, among 1 person." in response.get_data(as_text=True)
    db.session.refresh(account)
    assert account.assignment == "least_open"
    assert db.session.scalars(select(AccountAssignee.user_id)).all() == [agent.id]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "account.assignment"))
    # Unticking "only some people" clears the subset.
    auth.post(f"/accounts/{account.id}/assignment", {"assignment": "round_robin", "assignees": [str(agent.id)]})
    assert db.session.scalars(select(AccountAssignee.user_id)).all() == []


def test_accounts_form_refusals(auth, factory):
    admin = auth.login()
    account = factory.account(admin.workspace)
    outsider = factory.user(factory.workspace(), role="agent")
    response = auth.post(f"/accounts/{account.id}/assignment", {"assignment": "everyone"}, htmx=True)
    assert response.status_code == 422 and "Choose off, round_robin or least_open" in response.get_data(as_text=True)
    response = auth.post(f"/accounts/{account.id}/assignment",
                         {"assignment": "round_robin", "restrict": "on", "assignees": [str(outsider.id)]}, htmx=True)
    assert response.status_code == 422
    db.session.refresh(account)
    assert account.assignment == "off"
    other = factory.account(factory.workspace())
    assert auth.post(f"/accounts/{other.id}/assignment", {"assignment": "round_robin"}).status_code == 404


def test_agents_cannot_set_assignment_but_read_it(auth, factory):
    workspace = factory.workspace()
    account = factory.account(workspace)
    account.assignment = "round_robin"
    db.session.commit()
    auth.login(factory.user(workspace, role="agent"))
    assert auth.post(f"/accounts/{account.id}/assignment", {"assignment": "off"}).status_code == 403
    page = auth.client.get("/accounts").get_data(as_text=True)
    assert "Round robin" in page and f'action="/accounts/{account.id}/assignment"' not in page


def test_thread_header_says_who_and_why_and_the_picker_says_away(auth, factory):
    admin = auth.login()
    present(admin)
    account = factory.account(admin.workspace)
    bob = factory.user(admin.workspace, role="agent", name="Bob")
    away = factory.user(admin.workspace, role="agent", name="Cy")
    present(bob)
    away.availability = "away"
    conversation = factory.conversation(account, assignee_id=bob.id, assignment_reason="round_robin")
    db.session.commit()
    page = auth.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert "Assigned to <bdi>Bob</bdi> · round robin" in page
    assert "Cy · away</option>" in page and "Bob</option>" in page


def test_team_page_shows_presence(auth, factory):
    admin = auth.login()
    present(admin)
    away = factory.user(admin.workspace, role="agent", name="Dee")
    away.availability = "away"
    db.session.commit()
    page = auth.client.get("/settings/team").get_data(as_text=True)
    assert page.count("presence--available") >= 1 and "presence--away" in page and "(away)" in page
