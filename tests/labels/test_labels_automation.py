"""A rule may add a label: chosen in the rule editor (only the workspace's labels), shown in the
rule list and the preview, and applied with the rule's other actions when it answers, noted in
the automation log like them."""
from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from app.automation.jobs import run_automation_for_message
from app.extensions import db
from app.models import AutomationRule, AutomationSettings, Conversation, ConversationLabel, Label, utcnow
from tests.automation.test_automation_job import ALWAYS_OPEN, World, automated_replies, log_for
from tests.automation.test_automation_settings import keyword_form
from tests.labels.conftest import label_names


@pytest.fixture
def world(shop, factory):
    """The shape tests/automation's `meta` fixture expects, on the label shop."""
    conversation = db.session.get(Conversation, shop.first.id)
    conversation.last_inbound_at = utcnow()
    db.session.merge(AutomationSettings(workspace_id=shop.workspace.id, timezone="UTC", business_hours=ALWAYS_OPEN))
    db.session.commit()
    return World(shop.workspace, shop.admin, conversation.account, conversation)


@pytest.fixture
def meta(world):
    """Meta's send endpoint at the HTTP boundary: every automated reply is accepted."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(world.messages_url, json={"recipient_id": "r", "message_id": "mid.label"})
        yield mock


def _rule(shop, label, pattern="wholesale"):
    rule = AutomationRule(workspace_id=shop.workspace.id, kind="keyword", match_type="contains", pattern=pattern,
                          reply_text="We do wholesale! How many pieces?", position=1, add_label_id=label.id)
    db.session.add(rule)
    db.session.commit()
    return rule


def test_the_editor_offers_the_labels_and_saves_the_choice(auth, shop):
    wholesale = shop.label("wholesale", "#0f766e")
    auth.login(shop.admin)
    form = auth.client.get("/settings/automation/rules/new").get_data(as_text=True)
    assert '<select id="add_label_id" name="add_label_id"' in form and f'value="{wholesale.id}"' in form
    response = auth.post("/settings/automation/rules/new", keyword_form(pattern="wholesale",
                                                                        add_label_id=str(wholesale.id)))
    assert response.status_code == 302
    rule = db.session.scalar(select(AutomationRule))
    assert rule.add_label_id == wholesale.id
    page = auth.client.get("/settings/automation").get_data(as_text=True)
    assert "Adds the label" in page and "label--teal" in page
    edit = auth.client.get(f"/settings/automation/rules/{rule.id}").get_data(as_text=True)
    assert f'<option value="{wholesale.id}" selected>wholesale</option>' in edit
    # Saved again without a label, the rule stops adding one.
    assert auth.post(f"/settings/automation/rules/{rule.id}", keyword_form(pattern="wholesale")).status_code == 302
    db.session.expire_all()
    assert db.session.get(AutomationRule, rule.id).add_label_id is None


def test_another_workspaces_label_cannot_be_chosen(auth, shop, factory):
    theirs = Label(workspace_id=factory.workspace("Other").id, name="theirs")
    db.session.add(theirs)
    db.session.commit()
    auth.login(shop.admin)
    response = auth.post("/settings/automation/rules/new", keyword_form(add_label_id=str(theirs.id)))
    assert response.status_code == 400 and "this workspace&#39;s labels" in response.get_data(as_text=True)
    response = auth.post("/settings/automation/rules/new", keyword_form(add_label_id="99999999999"))
    assert response.status_code == 400
    assert db.session.scalar(select(AutomationRule)) is None


def test_the_preview_says_the_label_is_added(auth, shop):
    _rule(shop, shop.label("wholesale"))
    auth.login(shop.admin)
    response = auth.client.get("/settings/automation/preview?text=Do+you+do+wholesale%3F",
                               headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert 'id="preview-label"' in html and "wholesale" in html.split('id="preview-label"')[1]


def test_the_rule_adds_the_label_and_logs_it(app, shop, world, factory, meta):
    wholesale = _rule(shop, shop.label("wholesale")).add_label_id
    message = factory.message(world.conversation, text="Hi, do you do WHOLESALE for small shops?", direction="in")
    before = db.session.get(Conversation, world.conversation.id).updated_at
    run_automation_for_message(message.id)
    assert [r.text for r in automated_replies(world)] == ["We do wholesale! How many pieces?"]
    assert label_names(world.conversation) == ["wholesale"]
    assert db.session.get(Conversation, world.conversation.id).updated_at >= before
    entry = log_for(message)
    assert entry.outcome == "sent" and "Label “wholesale” added." in entry.reason
    # Added by automation, not by a person.
    assert db.session.get(ConversationLabel, (world.conversation.id, wholesale)).added_by_id is None

    again = factory.message(world.conversation, text="wholesale prices please", direction="in")
    run_automation_for_message(again.id)
    assert "already had the label" in log_for(again).reason
    assert label_names(world.conversation) == ["wholesale"]
