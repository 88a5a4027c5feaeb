"""The automation settings page: admins only, CSRF on every form, validation that keeps what was
typed, rule order and switches, the preview, and workspace isolation."""
import pytest
from sqlalchemy import select

from app.automation.rulebook import ordered_rules
from app.extensions import db
from app.models import AuditEntry, AutomationRule, AutomationSettings
from tests.meta_kit import HX

PASSWORD = "correct-horse-battery"


def keyword_form(**fields):
    form = {"kind": "keyword", "match_type": "contains", "pattern": "price", "reply_text": "Our prices: ...",
            "enabled": "on"}
    form.update(fields)
    return form


def add_rule(workspace, kind="keyword", position=None, **fields):
    if kind == "keyword":
        fields.setdefault("match_type", "contains")
        fields.setdefault("pattern", "price")
    last = len(ordered_rules(workspace.id))
    rule = AutomationRule(workspace_id=workspace.id, kind=kind, reply_text=fields.pop("reply_text", f"{kind} reply"),
                          position=position or last + 1, enabled=fields.pop("enabled", True), **fields)
    db.session.add(rule)
    db.session.commit()
    return rule


@pytest.fixture
def admin(auth, factory):
    user = factory.user(role="admin")
    auth.login(user)
    return user


def rules_of(workspace_id):
    db.session.expire_all()
    return ordered_rules(workspace_id)


# -- Permissions and CSRF --------------------------------------------------------------------

AGENT_FORBIDDEN = [
    ("get", "/settings/automation"),
    ("get", "/settings/automation/rules/new"),
    ("get", "/settings/automation/preview?text=hi"),
    ("post", "/settings/automation/settings"),
    ("post", "/settings/automation/rules/new"),
]


@pytest.mark.parametrize("method, path", AGENT_FORBIDDEN)
def test_agents_get_403(client, auth, factory, method, path):
    auth.login(factory.user(role="agent"))
    if method == "get":
        response = client.get(path)
    else:
        response = auth.post(path, {"timezone": "UTC", "kind": "greeting", "reply_text": "x"})
    assert response.status_code == 403
    assert db.session.scalar(select(AutomationRule)) is None
    assert db.session.scalar(select(AutomationSettings)) is None


def test_agents_cannot_touch_an_existing_rule(client, auth, factory):
    agent = factory.user(role="agent")
    rule = add_rule(agent.workspace, reply_text="Keep me")
    auth.login(agent)
    assert client.get(f"/settings/automation/rules/{rule.id}").status_code == 403
    for path, data in ((f"/settings/automation/rules/{rule.id}", keyword_form(reply_text="Changed")),
                       (f"/settings/automation/rules/{rule.id}/delete", {}),
                       (f"/settings/automation/rules/{rule.id}/enabled", {"enabled": ""}),
                       (f"/settings/automation/rules/{rule.id}/move", {"direction": "up"})):
        assert auth.post(path, data).status_code == 403
    (kept,) = rules_of(agent.workspace_id)
    assert kept.reply_text == "Keep me" and kept.enabled


def test_signed_out_visitors_are_sent_to_login(client):
    response = client.get("/settings/automation")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_form_needs_the_csrf_token(client, admin):
    rule = add_rule(admin.workspace, reply_text="Keep me")
    for path, data in (("/settings/automation/settings", {"timezone": "Europe/Berlin", "pause_minutes": "5", "away_every_hours": "2"}),
                       ("/settings/automation/rules/new", keyword_form()),
                       (f"/settings/automation/rules/{rule.id}", keyword_form(reply_text="Changed")),
                       (f"/settings/automation/rules/{rule.id}/delete", {}),
                       (f"/settings/automation/rules/{rule.id}/enabled", {"enabled": ""}),
                       (f"/settings/automation/rules/{rule.id}/move", {"direction": "down"})):
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Form expired" in response.get_data(as_text=True)
    (kept,) = rules_of(admin.workspace_id)
    assert kept.reply_text == "Keep me" and kept.enabled
    assert db.session.get(AutomationSettings, admin.workspace_id) is None


def test_the_page_shows_the_forms_with_their_tokens(client, admin):
    add_rule(admin.workspace, reply_text="Thanks <b>for</b> asking")
    body = client.get("/settings/automation").get_data(as_text=True)
    assert body.count('name="csrf_token"') >= 5
    assert "Thanks &lt;b&gt;for&lt;/b&gt; asking" in body  # escaped like any text
    assert "UTC" in body and "09:00-17:00" in body  # the defaults before anything is saved


# -- Workspace settings ----------------------------------------------------------------------

SETTINGS = {"timezone": "Europe/Berlin", "hours_0": "9:00-12:00, 13:00-18:00", "hours_5": "10:00-14:00",
            "pause_minutes": "45", "away_every_hours": "6", "knowledge": "We sell shoes. Delivery 2-3 days.",
            "ai_auto_reply": "on"}


def test_admin_saves_workspace_settings(client, auth, admin):
    response = auth.post("/settings/automation/settings", SETTINGS)
    assert response.status_code == 302
    saved = db.session.get(AutomationSettings, admin.workspace_id)
    assert saved.timezone == "Europe/Berlin"
    assert saved.business_hours == {"0": [["09:00", "12:00"], ["13:00", "18:00"]], "5": [["10:00", "14:00"]]}
    assert (saved.pause_minutes, saved.away_every_hours, saved.ai_auto_reply) == (45, 6, True)
    assert saved.knowledge == "We sell shoes. Delivery 2-3 days."
    body = client.get("/settings/automation").get_data(as_text=True)
    assert "09:00-12:00, 13:00-18:00" in body and "We sell shoes." in body

    auth.post("/settings/automation/settings", dict(SETTINGS, ai_auto_reply="", knowledge=""))
    db.session.expire_all()
    saved = db.session.get(AutomationSettings, admin.workspace_id)
    assert saved.ai_auto_reply is False and saved.knowledge is None


@pytest.mark.parametrize("field, value, message", [
    ("timezone", "Mars/Olympus", "not a known time zone"),
    ("hours_2", "17:00-09:00", "Wednesday"),
    ("hours_6", "nine to five", "Sunday"),
    ("pause_minutes", "soon", "whole number"),
    ("pause_minutes", "-1", "between 0 and"),
    ("away_every_hours", "0", "between 1 and"),
    ("knowledge", "x" * 20001, "at most 20,000 characters"),
])
def test_bad_settings_are_refused_and_the_form_keeps_the_input(auth, admin, field, value, message):
    response = auth.post("/settings/automation/settings", dict(SETTINGS, **{field: value}))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    assert "We sell shoes. Delivery 2-3 days." in body or field == "knowledge"  # nothing typed is lost
    assert f'id="{field}"' in body and 'aria-invalid="true"' in body
    assert db.session.get(AutomationSettings, admin.workspace_id) is None


# -- Rules -----------------------------------------------------------------------------------

def test_admin_adds_each_kind_of_rule(client, auth, admin, factory):
    account = factory.account(admin.workspace)
    agent = factory.user(admin.workspace, role="agent")
    for form in (keyword_form(set_lead_status="qualified", assign_to_id=str(agent.id), set_conversation_status="pending",
                              account_id=str(account.id)),
                 {"kind": "greeting", "reply_text": "Welcome!", "enabled": "on"},
                 {"kind": "away", "reply_text": "We're closed", "enabled": "on"},
                 {"kind": "story_mention", "reply_text": "Thanks for the mention!", "enabled": "on", "pattern": "ignored"},
                 keyword_form(match_type="regex", pattern=r"\border\s*#?\d+", reply_text="Order status")):
        response = auth.post("/settings/automation/rules/new", form)
        assert response.status_code == 302, response.get_data(as_text=True)
    rules = rules_of(admin.workspace_id)
    assert [r.kind for r in rules] == ["keyword", "greeting", "away", "story_mention", "keyword"]
    assert [r.position for r in rules] == [1, 2, 3, 4, 5]
    keyword = rules[0]
    assert (keyword.set_lead_status, keyword.assign_to_id, keyword.set_conversation_status, keyword.account_id) == (
        "qualified", agent.id, "pending", account.id)
    assert rules[3].pattern is None and rules[3].match_type is None  # only keyword rules keep a keyword
    body = client.get("/settings/automation").get_data(as_text=True)
    assert "Thanks for the mention!" in body and f"@{account.username}" in body


@pytest.mark.parametrize("fields, message", [
    ({"kind": "unknown"}, "Choose what the rule answers"),
    ({"match_type": "fuzzy"}, "Choose how the keyword matches"),
    ({"pattern": "  "}, "Enter the keyword"),
    ({"match_type": "regex", "pattern": r"(a)\1"}, "Back-references"),
    ({"match_type": "regex", "pattern": r"(price"}, "not a valid regular expression"),
    ({"pattern": "x" * 201}, "at most 200 characters"),
    ({"reply_text": "  "}, "Write the reply"),
    ({"reply_text": "é" * 501}, "1,002 bytes"),
    ({"set_lead_status": "hot"}, "Choose one of"),
    ({"set_conversation_status": "snoozed"}, "Choose one of"),
    ({"assign_to_id": "abc"}, "Choose one of the listed options"),
])
def test_bad_rules_are_refused_and_the_form_keeps_the_input(auth, admin, fields, message):
    form = keyword_form(reply_text="Prices start at 20 €", **{k: v for k, v in fields.items() if k != "reply_text"})
    if "reply_text" in fields:
        form["reply_text"] = fields["reply_text"]
    response = auth.post("/settings/automation/rules/new", form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    if "reply_text" not in fields:
        assert "Prices start at 20 €" in body
    assert rules_of(admin.workspace_id) == []


def test_rules_cannot_point_at_another_workspaces_account_or_user(auth, admin, factory):
    other = factory.workspace()
    foreign_account, foreign_user = factory.account(other), factory.user(other, role="agent")
    response = auth.post("/settings/automation/rules/new", keyword_form(account_id=str(foreign_account.id)))
    assert response.status_code == 400 and "not connected to this workspace" in response.get_data(as_text=True)
    response = auth.post("/settings/automation/rules/new", keyword_form(assign_to_id=str(foreign_user.id)))
    assert response.status_code == 400 and "active member of this workspace" in response.get_data(as_text=True)
    assert rules_of(admin.workspace_id) == []


def test_admin_edits_a_rule(client, auth, admin):
    rule = add_rule(admin.workspace, reply_text="Old")
    assert "Old" in client.get(f"/settings/automation/rules/{rule.id}").get_data(as_text=True)
    response = auth.post(f"/settings/automation/rules/{rule.id}", keyword_form(pattern="cost", reply_text="New", enabled=""))
    assert response.status_code == 302
    (edited,) = rules_of(admin.workspace_id)
    assert (edited.pattern, edited.reply_text, edited.enabled) == ("cost", "New", False)

    response = auth.post(f"/settings/automation/rules/{rule.id}", keyword_form(match_type="regex", pattern="x(?=y)"))
    assert response.status_code == 400
    (unchanged,) = rules_of(admin.workspace_id)
    assert unchanged.pattern == "cost"


def test_switching_a_rule_off_and_on(auth, admin):
    rule = add_rule(admin.workspace)
    response = auth.post(f"/settings/automation/rules/{rule.id}/enabled", {"enabled": ""}, htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="rule-list">') and "<html" not in fragment
    assert rules_of(admin.workspace_id)[0].enabled is False
    assert auth.post(f"/settings/automation/rules/{rule.id}/enabled", {"enabled": "on"}).status_code == 302
    assert rules_of(admin.workspace_id)[0].enabled is True


def test_moving_rules_up_and_down(auth, admin):
    first, second, third = (add_rule(admin.workspace, reply_text=name) for name in ("first", "second", "third"))

    def order():
        return [r.reply_text for r in rules_of(admin.workspace_id)]

    auth.post(f"/settings/automation/rules/{third.id}/move", {"direction": "up"}, htmx=True)
    assert order() == ["first", "third", "second"]
    auth.post(f"/settings/automation/rules/{first.id}/move", {"direction": "down"})
    assert order() == ["third", "first", "second"]
    auth.post(f"/settings/automation/rules/{third.id}/move", {"direction": "up"})  # already at the top
    assert order() == ["third", "first", "second"]
    auth.post(f"/settings/automation/rules/{second.id}/move", {"direction": "down"})  # already at the bottom
    assert order() == ["third", "first", "second"]
    assert auth.post(f"/settings/automation/rules/{second.id}/move", {"direction": "sideways"}).status_code == 400

    # The order decides which rule answers: each real move is in the audit log, a move past an end is not.
    moves = db.session.scalars(select(AuditEntry.summary).where(AuditEntry.workspace_id == admin.workspace_id,
                                                                AuditEntry.summary.like("Moved %"))
                               .order_by(AuditEntry.id)).all()
    assert len(moves) == 2, moves
    assert moves[0].startswith("Moved a ") and "replying “third”" in moves[0] and moves[0].endswith(" up, to place 2")
    assert "replying “first”" in moves[1] and moves[1].endswith(" down, to place 2")


def test_deleting_a_rule(auth, admin):
    keep, drop = add_rule(admin.workspace, reply_text="keep"), add_rule(admin.workspace, reply_text="drop")
    assert auth.post(f"/settings/automation/rules/{drop.id}/delete").status_code == 302
    assert [r.id for r in rules_of(admin.workspace_id)] == [keep.id]


# -- Preview ---------------------------------------------------------------------------------

def test_preview_shows_the_rule_that_would_answer(client, auth, admin):
    auth.post("/settings/automation/settings", dict(SETTINGS, hours_0="09:00-17:00"))
    add_rule(admin.workspace, kind="away", reply_text="We are closed, back at 9.")
    add_rule(admin.workspace, reply_text="Shoes cost 80 €.")
    # Monday 2 June 2025 at 20:00 in Berlin: closed, so the away rule (first) answers.
    body = client.get("/settings/automation/preview", query_string={"text": "price?", "at": "2025-06-02T20:00"},
                      headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith('<div id="preview-result"')
    assert "We are closed, back at 9." in body and "Away rule" in body and "closed" in body
    # At 10:00 it is open: the keyword rule answers.
    body = client.get("/settings/automation/preview", query_string={"text": "price?", "at": "2025-06-02T10:00"},
                      headers=HX).get_data(as_text=True)
    assert "Shoes cost 80 €." in body and "Keyword rule" in body
    body = client.get("/settings/automation/preview", query_string={"text": "hello", "at": "2025-06-02T10:00"},
                      headers=HX).get_data(as_text=True)
    assert "No rule applies" in body
    # Without htmx the whole page comes back, the form filled in.
    page = client.get("/settings/automation/preview", query_string={"text": "price?", "at": "2025-06-02T10:00"})
    assert "<html" in page.get_data(as_text=True) and "Shoes cost 80 €." in page.get_data(as_text=True)


def test_preview_of_a_first_message_and_a_story_mention(client, admin):
    add_rule(admin.workspace, kind="story_mention", reply_text="Thanks for the mention!")
    add_rule(admin.workspace, kind="greeting", reply_text="Welcome to the shop!")
    body = client.get("/settings/automation/preview", query_string={"text": "hi", "first": "1"}).get_data(as_text=True)
    assert "Welcome to the shop!" in body
    body = client.get("/settings/automation/preview", query_string={"story": "1", "first": "1"}).get_data(as_text=True)
    assert "Thanks for the mention!" in body


def test_preview_refuses_a_bad_time(client, admin):
    response = client.get("/settings/automation/preview", query_string={"text": "hi", "at": "tomorrow"},
                          headers=HX)
    assert response.status_code == 400 and "YYYY-MM-DD HH:MM" in response.get_data(as_text=True)
    page = client.get("/settings/automation/preview", query_string={"text": "hi", "at": "tomorrow", "account_id": "x"})
    assert page.status_code == 400 and "YYYY-MM-DD HH:MM" in page.get_data(as_text=True)
    assert 'value="tomorrow"' in page.get_data(as_text=True)  # the form keeps what was typed
    page = client.get("/settings/automation/preview", query_string={"text": "hi", "account_id": "x"})
    assert page.status_code == 400 and "Choose one of the listed accounts" in page.get_data(as_text=True)


# -- Isolation -------------------------------------------------------------------------------

def test_another_workspaces_rules_are_404_and_invisible(client, auth, admin, factory):
    other = factory.workspace()
    theirs = add_rule(other, reply_text="THEIR SECRET REPLY")
    assert client.get(f"/settings/automation/rules/{theirs.id}").status_code == 404
    for path, data in ((f"/settings/automation/rules/{theirs.id}", keyword_form(reply_text="mine now")),
                       (f"/settings/automation/rules/{theirs.id}/delete", {}),
                       (f"/settings/automation/rules/{theirs.id}/enabled", {"enabled": ""}),
                       (f"/settings/automation/rules/{theirs.id}/move", {"direction": "up"})):
        assert auth.post(path, data).status_code == 404
    assert "THEIR SECRET REPLY" not in client.get("/settings/automation").get_data(as_text=True)
    preview = client.get("/settings/automation/preview", query_string={"text": "price"}).get_data(as_text=True)
    assert "THEIR SECRET REPLY" not in preview and "No rule applies" in preview
    (kept,) = rules_of(other.id)
    assert kept.reply_text == "THEIR SECRET REPLY" and kept.enabled


def test_the_settings_page_links_admins_to_automation(client, auth, factory):
    admin = factory.user(role="admin")
    agent = factory.user(admin.workspace, role="agent")
    auth.login(admin)
    assert 'href="/settings/automation"' in client.get("/settings").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(agent)
    assert 'href="/settings/automation"' not in client.get("/settings").get_data(as_text=True)
