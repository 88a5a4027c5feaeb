"""Settings → Team: invites, roles, deactivation and reassignment, password links, one's own
password; every admin route refused to agents (403) and to another workspace's ids (404)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from app.auth.api_tokens import create_token
from app.extensions import db
from app.models import Conversation, Invite, Lead, PasswordReset, User, utcnow
from tests.conftest import csrf_token_from

STRONG = "harbour-lantern-42"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _link(response, kind: str) -> str:
    match = re.search(rf'id="new-link"[^>]*value="https?://[^/"]+(/{kind}/[^"]+)"', _html(response))
    assert match, _html(response)
    return match.group(1)


def _anonymous(app):
    return app.test_client()


def _post_anonymous(client, path, data):
    token = csrf_token_from(_html(client.get(path)))
    return client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def team(auth, factory):
    admin = factory.user(name="Ada Admin", email="ada@shop.test")
    rep = factory.user(admin.workspace, name="Rob Rep", email="rob@shop.test", role="agent")
    auth.login(admin)
    return admin, rep


def test_agents_get_403_on_every_team_route(app, auth, factory):
    admin = factory.user()
    rep = factory.user(admin.workspace, role="agent")
    invite = Invite(workspace_id=admin.workspace_id, email="x@shop.test", role="agent", token_hash="h" * 64,
                    expires_at=utcnow() + timedelta(days=1))
    db.session.add(invite)
    db.session.commit()
    auth.login(rep)
    assert auth.client.get("/settings/team").status_code == 403
    for path in ("/settings/team/invites", f"/settings/team/invites/{invite.id}/revoke",
                 f"/settings/team/{admin.id}/role", f"/settings/team/{admin.id}/deactivate",
                 f"/settings/team/{admin.id}/reactivate", f"/settings/team/{admin.id}/reset",
                 f"/settings/team/{admin.id}/reassign"):
        assert auth.post(path, {"email": "y@shop.test", "role": "admin", "to": rep.id}).status_code == 403, path
    db.session.expire_all()
    assert db.session.get(User, admin.id).active and db.session.get(User, rep.id).role == "agent"


def test_another_workspaces_ids_are_404(app, auth, team, factory):
    stranger = factory.user(name="Other")
    other_invite = Invite(workspace_id=stranger.workspace_id, email="o@other.test", role="agent",
                          token_hash="o" * 64, expires_at=utcnow() + timedelta(days=1))
    db.session.add(other_invite)
    db.session.commit()
    for path in (f"/settings/team/{stranger.id}/role", f"/settings/team/{stranger.id}/deactivate",
                 f"/settings/team/{stranger.id}/reactivate", f"/settings/team/{stranger.id}/reset",
                 f"/settings/team/{stranger.id}/reassign", f"/settings/team/invites/{other_invite.id}/revoke",
                 "/settings/team/99999999999/deactivate"):
        assert auth.post(path, {"role": "agent", "to": team[0].id}).status_code == 404, path
    # Nor can work be handed to someone of another workspace.
    assert auth.post(f"/settings/team/{team[1].id}/reassign", {"to": stranger.id}).status_code == 422
    assert db.session.get(User, stranger.id).active


def test_team_page_lists_members_and_pending_invites(auth, team):
    auth.post("/settings/team/invites", {"email": "Nia@Shop.test", "role": "agent"})
    page = _html(auth.client.get("/settings/team"))
    assert "Ada Admin" in page and "Rob Rep" in page and "rob@shop.test" in page
    assert "nia@shop.test" in page and "Pending invites" in page


def test_an_invite_is_accepted_once_and_signs_the_person_in(app, auth, team):
    admin, _ = team
    response = auth.post("/settings/team/invites", {"email": "nia@shop.test", "role": "agent"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    link = _link(response, "invite")
    stranger = _anonymous(app)
    page = stranger.get(link)
    assert page.status_code == 200 and "Join" in _html(page) and "nia@shop.test" in _html(page)
    weak = _post_anonymous(stranger, link, {"name": "Nia", "password": "password123"})
    assert weak.status_code == 422 and "common password" in _html(weak)
    joined = _post_anonymous(stranger, link, {"name": "Nia New", "password": STRONG})
    assert joined.status_code == 302 and joined.headers["Location"] == "/"
    user = db.session.query(User).filter_by(email="nia@shop.test").one()
    assert user.role == "agent" and user.workspace_id == admin.workspace_id and user.name == "Nia New"
    assert user.last_login_at is not None  # the team page said "last seen never" until a password sign-in
    assert stranger.get("/").status_code == 200  # signed in
    assert _anonymous(app).get(link).status_code == 410  # single use


def test_reinviting_replaces_the_old_link_and_links_expire(app, auth, team):
    first = _link(auth.post("/settings/team/invites", {"email": "nia@shop.test", "role": "agent"}), "invite")
    first_id = db.session.query(Invite).one().id
    second = _link(auth.post("/settings/team/invites", {"email": "nia@shop.test", "role": "admin",
                                                        "replace": str(first_id)}), "invite")
    assert _anonymous(app).get(first).status_code == 410
    invite = db.session.query(Invite).filter(Invite.accepted_at.is_(None), Invite.revoked_at.is_(None)).one()
    assert invite.role == "admin"
    invite.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _anonymous(app).get(second).status_code == 410
    assert _anonymous(app).get("/invite/not-a-real-token").status_code == 404


def test_a_reload_after_inviting_does_not_replace_the_link_just_copied(app, auth, team):
    """Reloading the page the invite form answered sends the form again (a phone's pull-to-refresh;
    found by a walk-through): within minutes of an invite that asks first, with a button that
    makes the new link; the link already copied keeps working until then."""
    form = {"email": "nia@shop.test", "role": "agent"}
    first = _link(auth.post("/settings/team/invites", form), "invite")
    again = auth.post("/settings/team/invites", form)
    assert again.status_code == 409
    page = _html(again)
    assert "nia@shop.test was invited moments ago, and that link still works" in page
    first_id = db.session.query(Invite).one().id
    assert f'name="replace" value="{first_id}"' in page and "Make a new link" in page
    assert _anonymous(app).get(first).status_code == 200  # still works
    assert db.session.query(Invite).filter(Invite.revoked_at.is_(None)).count() == 1

    second = _link(auth.post("/settings/team/invites", {**form, "replace": str(first_id)}), "invite")
    assert _anonymous(app).get(first).status_code == 410 and _anonymous(app).get(second).status_code == 200
    # A reload of that confirmation names the first invite, no longer the newest: asked again.
    assert auth.post("/settings/team/invites", {**form, "replace": str(first_id)}).status_code == 409
    assert _anonymous(app).get(second).status_code == 200
    # Past the guard, inviting the same address again simply makes a new link (it was lost, say).
    for invite in db.session.query(Invite):
        invite.created_at -= timedelta(minutes=11)
    db.session.commit()
    third = _link(auth.post("/settings/team/invites", form), "invite")
    assert _anonymous(app).get(second).status_code == 410 and _anonymous(app).get(third).status_code == 200


def test_members_of_any_workspace_cannot_be_invited(auth, team, factory):
    other = factory.user(email="taken@elsewhere.test")
    response = auth.post("/settings/team/invites", {"email": other.email, "role": "agent"})
    assert response.status_code == 409 and "another workspace" in _html(response)
    response = auth.post("/settings/team/invites", {"email": team[1].email, "role": "agent"})
    assert response.status_code == 409 and "already a member" in _html(response)
    assert auth.post("/settings/team/invites", {"email": "not-an-email", "role": "agent"}).status_code == 422
    assert db.session.query(Invite).count() == 0


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(auth, team):
    admin, rep = team
    # The page does not offer it (it asked "You lose access…" and was then refused): it says why.
    page = _html(auth.client.get("/settings/team"))
    assert "The only admin: make someone else an admin before changing this role." in page
    assert f'/settings/team/{admin.id}/role' not in page and f'/settings/team/{rep.id}/role' in page
    response = auth.post(f"/settings/team/{admin.id}/role", {"role": "agent"})
    assert response.status_code == 409 and "last active admin" in _html(response)
    assert auth.post(f"/settings/team/{admin.id}/deactivate").status_code == 409
    assert auth.post(f"/settings/team/{rep.id}/role", {"role": "admin"}).status_code == 302
    response = auth.post(f"/settings/team/{admin.id}/role", {"role": "agent"})
    # Demoted themselves: to the inbox, where an agent may be, and not to the team page's 403.
    assert response.status_code == 302 and response.headers["Location"] == "/"
    landing = auth.client.get("/")
    assert landing.status_code == 200 and "You are now an agent" in _html(landing)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "agent" and db.session.get(User, rep.id).role == "admin"


def test_deactivation_stops_sessions_and_tokens_and_work_can_be_reassigned(app, auth, team, factory):
    admin, rep = team
    _, token = create_token(rep, "rep's sync")
    conversation = factory.conversation(factory.account(admin.workspace), assignee_id=rep.id)
    resolved = factory.conversation(factory.account(admin.workspace), assignee_id=rep.id, status="resolved")
    lead = factory.lead(conversation, owner_id=rep.id)
    db.session.commit()
    rep_browser = _anonymous(app)
    _post_anonymous(rep_browser, "/login", {"email": rep.email, "password": "correct-horse-battery"})
    assert rep_browser.get("/").status_code == 200
    assert app.test_client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    assert auth.post(f"/settings/team/{rep.id}/deactivate").status_code == 302
    assert rep_browser.get("/").status_code == 302  # the next click lands on the login page
    assert app.test_client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    page = _html(auth.client.get("/settings/team"))
    assert "former member" in page
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).assignee_id == rep.id  # work stays until reassigned

    assert auth.post(f"/settings/team/{rep.id}/reassign", {"to": admin.id}).status_code == 302
    # Counted in words ("conversation(s)" read as a form's, found by a walk-through).
    assert "Gave 1 open conversation and 1 open lead of" in _html(auth.client.get("/settings/team"))
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).assignee_id == admin.id
    assert db.session.get(Conversation, resolved.id).assignee_id == rep.id  # history keeps who handled it
    assert db.session.get(Lead, lead.id).owner_id == admin.id
    assert auth.post(f"/settings/team/{rep.id}/reactivate").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, rep.id).active


def test_a_password_link_sets_the_password_once_and_ends_other_sessions(app, auth, team):
    _, rep = team
    rep_browser = _anonymous(app)
    _post_anonymous(rep_browser, "/login", {"email": rep.email, "password": "correct-horse-battery"})
    link = _link(auth.post(f"/settings/team/{rep.id}/reset"), "reset")
    fresh = _anonymous(app)
    assert fresh.get(link).headers["Cache-Control"] == "no-store"
    assert _post_anonymous(fresh, link, {"password": "short"}).status_code == 422
    assert _post_anonymous(fresh, link, {"password": STRONG}).status_code == 302
    assert rep_browser.get("/").status_code == 302  # the old session is over
    assert _anonymous(app).get(link).status_code == 410
    db.session.expire_all()
    assert db.session.get(User, rep.id).check_password(STRONG)
    assert db.session.query(PasswordReset).one().used_at is not None


def test_own_password_change_needs_the_current_one_and_ends_other_sessions(app, auth, team):
    admin, _ = team
    other_device = _anonymous(app)
    _post_anonymous(other_device, "/login", {"email": admin.email, "password": "correct-horse-battery"})
    wrong = auth.post("/settings/password", {"current_password": "nope", "new_password": STRONG})
    assert wrong.status_code == 303
    assert "not your current password" in _html(auth.client.get("/settings"))
    done = auth.post("/settings/password", {"current_password": "correct-horse-battery", "new_password": STRONG})
    assert done.status_code == 302
    assert auth.client.get("/settings").status_code == 200  # this session goes on
    assert other_device.get("/settings").status_code == 302  # the other one is over


def test_cli_parity(app, runner, factory):
    admin = factory.user(email="boss@shop.test")
    rep = factory.user(admin.workspace, email="rep@shop.test", role="agent")
    listed = runner.invoke(args=["users", "list", "--workspace", admin.workspace.name])
    assert listed.exit_code == 0 and "boss@shop.test\tadmin\tactive" in listed.output and "rep@shop.test" in listed.output
    refused = runner.invoke(args=["users", "set-role", "boss@shop.test", "agent"])
    assert refused.exit_code != 0 and "last active admin" in refused.output
    assert runner.invoke(args=["users", "set-role", "rep@shop.test", "admin"]).exit_code == 0
    assert runner.invoke(args=["users", "deactivate", "rep@shop.test"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(User, rep.id).active is False and db.session.get(User, rep.id).role == "admin"
    printed = runner.invoke(args=["users", "reset-password", "boss@shop.test"])
    assert printed.exit_code == 0
    path = re.search(r"(/reset/\S+)", printed.output).group(1)
    assert _anonymous(app).get(path).status_code == 200


def test_workspace_settings_name_timezone_and_human_agent(auth, team, factory):
    admin, rep = team
    page = auth.client.get("/settings/workspace")
    assert page.status_code == 200 and "HUMAN_AGENT" in _html(page)
    refused = auth.post("/settings/workspace", {"name": "", "timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert "Enter a name" in _html(refused) and "not a known time zone" in _html(refused)
    factory.workspace("Taken Name")
    assert "already has this name" in _html(auth.post("/settings/workspace", {"name": "Taken Name", "timezone": "UTC"}))
    saved = auth.post("/settings/workspace", {"name": "Shop & Co", "timezone": "Europe/Berlin", "human_agent": "on"})
    assert saved.status_code == 302
    db.session.expire_all()
    workspace = db.session.get(User, admin.id).workspace
    assert (workspace.name, workspace.timezone, workspace.human_agent_enabled) == ("Shop & Co", "Europe/Berlin", True)
    auth.post("/settings/workspace", {"name": "Shop & Co", "timezone": "Europe/Berlin"})
    db.session.expire_all()
    assert db.session.get(User, admin.id).workspace.human_agent_enabled is False  # absent = off


def test_workspace_settings_are_for_admins(auth, factory):
    admin = factory.user()
    auth.login(factory.user(admin.workspace, role="agent"))
    assert auth.client.get("/settings/workspace").status_code == 403
    assert auth.post("/settings/workspace", {"name": "Mine now", "timezone": "UTC"}).status_code == 403


def test_former_members_are_shown_as_such_and_get_no_new_work(auth, team, factory):
    admin, rep = team
    conversation = factory.conversation(factory.account(admin.workspace), assignee_id=rep.id)
    lead = factory.lead(conversation, owner_id=rep.id)
    other = factory.conversation(factory.account(admin.workspace))
    other_lead = factory.lead(other)
    auth.post(f"/settings/team/{rep.id}/deactivate")
    thread = _html(auth.client.get(f"/conversations/{conversation.id}"))
    assert "Rob Rep (former member)" in thread
    assert "Rob Rep (former member)" in _html(auth.client.get("/leads"))
    refused = auth.post(f"/conversations/{other.id}/assign", {"assignee": rep.id}, htmx=True)
    assert refused.status_code == 422
    refused = auth.post(f"/leads/{other_lead.id}/owner", {"owner_id": rep.id}, htmx=True)
    assert "former member" in _html(refused)
    db.session.expire_all()
    assert db.session.get(Lead, other_lead.id).owner_id is None
    assert db.session.get(Lead, lead.id).owner_id == rep.id

    # Each former member's buttons say whose they are: two "Reactivate" in a row told a keyboard
    # or screen reader user nothing.
    team_page = _html(auth.client.get("/settings/team"))
    assert 'Reactivate<span class="visually-hidden"> Rob Rep</span>' in team_page
    assert 'Reassign their work<span class="visually-hidden"> (Rob Rep)</span>' in team_page
    assert 'Give<span class="visually-hidden"> Rob Rep\'s</span> open conversations and leads to' in team_page


def test_profile_name_zone_colour_and_sign_out_everywhere(app, auth, team):
    admin, _ = team
    other_device = _anonymous(app)
    _post_anonymous(other_device, "/login", {"email": admin.email, "password": "correct-horse-battery"})
    refused = auth.post("/settings/profile", {"name": "A" * 121, "timezone": "Nowhere/Land", "avatar_hue": "99"})
    assert refused.status_code == 422 and "not a known time zone" in _html(refused)
    assert auth.post("/settings/profile", {"name": "Ada L.", "timezone": "Asia/Tokyo", "avatar_hue": "7"}).status_code == 302
    db.session.expire_all()
    user = db.session.get(User, admin.id)
    assert (user.name, user.timezone, user.avatar_hue, user.hue_class) == ("Ada L.", "Asia/Tokyo", 7, "hue-7")
    page = _html(auth.client.get("/settings"))
    assert 'class="avatar avatar--sm hue-7"' in page and "Ada L." in page
    # Times are shown in the profile's zone, whatever the browser says.
    from app.inbox.localtime import user_zone

    with app.test_request_context(headers={"Cookie": "tz=America/New_York"}):
        from flask_login import login_user

        login_user(user)
        assert str(user_zone()) == "Asia/Tokyo"
    assert auth.post("/settings/sign-out-everywhere").status_code == 302
    assert auth.client.get("/settings").status_code == 302
    assert other_device.get("/settings").status_code == 302


def test_profile_is_for_everyone_signed_in(client, auth, factory):
    assert client.get("/settings/profile").status_code == 302
    admin = factory.user()
    auth.login(factory.user(admin.workspace, role="agent"))
    assert auth.client.get("/settings/profile").status_code == 200
