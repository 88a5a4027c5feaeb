"""Settings → Audit log: what admins did is recorded with who and when, paged, filterable and
exportable; agents get 403 and see no other workspace's entries."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from app.audit import record
from app.extensions import db
from app.models import AuditEntry, utcnow


def _actions(workspace_id) -> list[str]:
    return [e.action for e in db.session.query(AuditEntry).filter_by(workspace_id=workspace_id).order_by(AuditEntry.id)]


def test_team_settings_tokens_and_automation_changes_are_recorded(auth, factory, runner):
    admin = factory.user(name="Ada", email="ada@shop.test")
    rep = factory.user(admin.workspace, email="rob@shop.test", role="agent")
    auth.login(admin)
    auth.post("/settings/team/invites", {"email": "nia@shop.test", "role": "agent"})
    auth.post(f"/settings/team/{rep.id}/role", {"role": "admin"})
    auth.post(f"/settings/team/{rep.id}/reset")
    auth.post(f"/settings/team/{rep.id}/deactivate")
    auth.post(f"/settings/team/{rep.id}/reactivate")
    import re

    created = auth.post("/settings/tokens", {"name": "sync"}).get_data(as_text=True)
    token = re.search(r'id="new-token">([^<]+)<', created).group(1)
    auth.post("/settings/workspace", {"name": "Shop", "timezone": "Europe/Paris"})
    auth.post("/settings/automation/rules/new", {"kind": "greeting", "reply_text": "Hi!", "enabled": "on"})
    assert runner.invoke(args=["users", "set-role", "rob@shop.test", "agent"]).exit_code == 0
    assert _actions(admin.workspace_id) == ["team.invite", "team.role", "team.password_link", "team.deactivate",
                                            "team.reactivate", "token.created", "settings.workspace",
                                            "automation.rule_created", "team.role"]
    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert entries[0].actor_name == "ada@shop.test" and entries[0].summary == "Invited nia@shop.test as agent"
    assert entries[-1].actor_name == "command line"
    assert "time zone 'Europe/Paris'" in entries[6].summary
    # A rule is named by what it does: an entry still says which one after it is gone.
    assert entries[7].summary == "Added a greeting rule: The first message of a new conversation, replying “Hi!”"
    page = auth.client.get("/settings/audit").get_data(as_text=True)
    assert "Invited nia@shop.test as agent" in page and "Made rob@shop.test admin" in page
    # What kind of change, in words (the raw key only as its tooltip), and when in the workspace's
    # time, not a UTC ISO string (found by a walk-through).
    assert '<span class="muted small" title="team.invite">Team</span>' in page
    assert not re.search(r'title="\d{4}-\d\d-\d\dT', page)
    # No entry holds a link or a token (the token's public prefix names it, as on the settings page).
    assert not any("/invite/" in e.summary or "/reset/" in e.summary or token in e.summary for e in entries)


def test_pages_filters_and_csv(auth, factory):
    admin = factory.user(email="ada@shop.test")
    other = factory.user(admin.workspace, email="bo@shop.test")
    start = utcnow() - timedelta(hours=1)
    for n in range(120):
        entry = record("token.created", f"Created token {n}", actor=admin if n % 2 else other)
        entry.created_at = start + timedelta(seconds=n)
    record("team.invite", "=HYPERLINK(\"http://evil\")", actor=admin)
    db.session.commit()
    auth.login(admin)
    first = auth.client.get("/settings/audit").get_data(as_text=True)
    assert "HYPERLINK" in first and "Created token 119" in first and "Created token 70" not in first
    older = first.split('cursor=')[1].split('"')[0].replace("&amp;", "&")
    second = auth.client.get(f"/settings/audit?cursor={older}").get_data(as_text=True)
    assert "Created token 70" in second and "Created token 119" not in second
    team_only = auth.client.get("/settings/audit?group=team").get_data(as_text=True)
    assert "HYPERLINK" in team_only and "Created token" not in team_only
    by_other = auth.client.get(f"/settings/audit?actor={other.id}").get_data(as_text=True)
    assert "Created token 118" in by_other and "Created token 119" not in by_other
    rows = list(csv.reader(io.StringIO(auth.client.get("/settings/audit.csv").get_data().decode("utf-8-sig"))))
    assert rows[0] == ["time", "actor", "action", "summary"] and len(rows) == 122
    assert rows[1][3].startswith("'=HYPERLINK")  # a formula is never run by a spreadsheet
    assert auth.client.get("/settings/audit?cursor=nonsense").status_code == 400


def test_agents_403_and_workspaces_apart(auth, factory):
    admin = factory.user()
    stranger = factory.user(email="x@elsewhere.test")
    record("team.invite", "Invited someone secret", actor=stranger)
    db.session.commit()
    auth.login(admin)
    assert "Invited someone secret" not in auth.client.get("/settings/audit").get_data(as_text=True)
    assert "Invited someone secret" not in auth.client.get("/settings/audit.csv").get_data(as_text=True)
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(factory.user(admin.workspace, role="agent"))
    assert auth.client.get("/settings/audit").status_code == 403
    assert auth.client.get("/settings/audit.csv").status_code == 403
