"""Settings → Labels: admins create, rename, recolour and delete labels (each in the audit log);
agents see them but change nothing; another workspace's label is a 404; deleting a label takes it
off every conversation and out of the automation rule that added it."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, AutomationRule, ConversationLabel, Label
from tests.labels.conftest import label_names


def _labels(shop):
    db.session.expire_all()
    return {label.name: label.color for label in db.session.scalars(
        select(Label).where(Label.workspace_id == shop.workspace.id))}


def _audit(shop):
    return [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == shop.workspace.id)
                                                 .order_by(AuditEntry.id))]


def test_admin_creates_a_label_with_a_colour_and_its_name_is_normalised(auth, shop):
    auth.login(shop.admin)
    response = auth.post("/settings/labels", {"name": "  Hot   Lead ", "color": "red"})
    assert response.status_code == 302
    assert _labels(shop) == {"hot-lead": "#b91c1c"}
    page = auth.client.get("/settings/labels").get_data(as_text=True)
    assert "hot-lead" in page and "label--red" in page
    assert _audit(shop) == ["label.created"]


def test_invalid_names_and_colours_are_refused_with_the_field(auth, shop):
    auth.login(shop.admin)
    for name, color in (("", "red"), ("x" * 41, "red"), ("vip!", "red"), ("a/b", "red"), ("vip", "chartreuse")):
        response = auth.post("/settings/labels", {"name": name, "color": color})
        assert response.status_code == 422, (name, color)
        assert 'aria-invalid="true"' in response.get_data(as_text=True) or color == "chartreuse"
    assert _labels(shop) == {}
    shop.label("vip")
    response = auth.post("/settings/labels", {"name": "VIP", "color": "blue"})
    assert response.status_code == 422 and "already a label" in response.get_data(as_text=True)


def test_unicode_letters_digits_dash_and_underscore_are_names(auth, shop):
    auth.login(shop.admin)
    for name in ("rückruf", "q4_2026", "follow-up", "a" * 40):
        assert auth.post("/settings/labels", {"name": name, "color": "gray"}).status_code == 302, name
    assert set(_labels(shop)) == {"rückruf", "q4_2026", "follow-up", "a" * 40}


def test_admin_renames_and_recolours(auth, shop):
    vip = shop.label("vip")
    auth.login(shop.admin)
    response = auth.post(f"/settings/labels/{vip.id}", {"name": "V I P", "color": "purple"})
    assert response.status_code == 302
    assert _labels(shop) == {"v-i-p": "#7e22ce"}
    assert _audit(shop) == ["label.changed"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "label.changed"))
    assert "renamed “vip” to “v-i-p”" in entry.summary and "purple" in entry.summary
    # Renaming onto another label's name is refused.
    shop.label("wholesale")
    response = auth.post(f"/settings/labels/{vip.id}", {"name": "wholesale", "color": "purple"})
    assert response.status_code == 422 and "already a label" in response.get_data(as_text=True)


def test_deleting_a_label_takes_it_off_conversations_and_rules(auth, shop):
    vip, other = shop.label("vip"), shop.label("wholesale")
    for label in (vip, other):
        db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=label.id))
    rule = AutomationRule(workspace_id=shop.workspace.id, kind="keyword", match_type="contains", pattern="vip",
                          reply_text="Hi!", add_label_id=vip.id)
    db.session.add(rule)
    db.session.commit()
    auth.login(shop.admin)
    assert auth.post(f"/settings/labels/{vip.id}/delete").status_code == 302
    assert _labels(shop) == {"wholesale": "#6b7280"}
    assert label_names(shop.first) == ["wholesale"]
    assert db.session.get(AutomationRule, rule.id).add_label_id is None
    assert _audit(shop) == ["label.deleted"]


def test_agents_see_the_labels_but_cannot_change_them(auth, shop):
    vip = shop.label("vip")
    auth.login(shop.agent)
    page = auth.client.get("/settings/labels")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vip" in html and "Create label" not in html and "Delete the label" not in html
    assert auth.post("/settings/labels", {"name": "new", "color": "red"}).status_code == 403
    assert auth.post(f"/settings/labels/{vip.id}", {"name": "renamed", "color": "red"}).status_code == 403
    assert auth.post(f"/settings/labels/{vip.id}/delete").status_code == 403
    assert _labels(shop) == {"vip": "#6b7280"}


def test_another_workspaces_label_is_not_found(auth, shop, factory):
    other_ws = factory.workspace("Elsewhere")
    theirs = Label(workspace_id=other_ws.id, name="theirs")
    db.session.add(theirs)
    db.session.commit()
    auth.login(shop.admin)
    assert "theirs" not in auth.client.get("/settings/labels").get_data(as_text=True)
    assert auth.post(f"/settings/labels/{theirs.id}", {"name": "mine", "color": "red"}).status_code == 404
    assert auth.post(f"/settings/labels/{theirs.id}/delete").status_code == 404
    assert auth.post("/settings/labels/99999999999/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(Label, theirs.id).name == "theirs"


def test_the_settings_page_links_to_labels_and_counts_their_use(auth, shop):
    vip = shop.label("vip")
    db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=vip.id))
    db.session.commit()
    auth.login(shop.agent)
    assert "/settings/labels" in auth.client.get("/settings").get_data(as_text=True)
    html = auth.client.get("/settings/labels").get_data(as_text=True)
    assert "1 conversation<" in html and "/?label=vip" in html


def test_signed_out_people_are_sent_to_the_login(client):
    assert client.get("/settings/labels").status_code == 302
