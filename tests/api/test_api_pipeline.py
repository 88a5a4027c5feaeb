"""The pipeline through the API: a lead's value, currency, follow-up, contact facts and lost reason
in PATCH /leads/<id>, the 422s of the stage rules, and GET /leads/<id>/history."""
from __future__ import annotations

from datetime import datetime, timezone

from app.extensions import db
from app.models import Lead
from tests.api.conftest import error_of


def _lead(factory, api, **fields):
    return factory.lead(factory.conversation(api.account), **fields)


def test_patch_the_pipeline_fields(api, factory):
    lead = _lead(factory, api)
    response = api.patch(f"/leads/{lead.id}", json={
        "value": "1250.5", "currency": "eur", "email": "priya@example.com", "phone": "+44 20 7946 0958",
        "next_follow_up_at": "2027-02-01T09:30:00+01:00", "follow_up_note": "send the catalogue"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["value"], data["currency"], data["email"], data["phone"]) == (
        "1250.50", "EUR", "priya@example.com", "+44 20 7946 0958")
    assert (data["next_follow_up_at"], data["follow_up_note"]) == ("2027-02-01T08:30:00Z", "send the catalogue")
    assert data["lost_reason"] is None
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).value_cents == 125050
    data = api.patch(f"/leads/{lead.id}", json={"value": None, "next_follow_up_at": None}).get_json()["data"]
    assert (data["value"], data["next_follow_up_at"], data["currency"]) == (None, None, "EUR")


def test_a_value_without_currency_takes_the_workspaces(api, factory):
    api.workspace.currency = "BRL"
    db.session.commit()
    lead = _lead(factory, api)
    assert api.patch(f"/leads/{lead.id}", json={"value": "99"}).get_json()["data"]["currency"] == "BRL"


def test_refusals_name_the_field_and_change_nothing(api, factory):
    lead = _lead(factory, api, notes="keep")
    path = f"/leads/{lead.id}"
    error = error_of(api.patch(path, json={"status": "lost", "notes": "changed"}), 422)
    assert error["field"] == "lost_reason"
    for body, field in (({"value": "12.345"}, "value"), ({"value": "-1"}, "value"), ({"currency": "EURO"}, "currency"),
                        ({"email": "nope"}, "email"), ({"phone": "call me"}, "phone"),
                        ({"next_follow_up_at": "2027-01-01T09:00:00"}, "next_follow_up_at"),
                        ({"status": "lost", "lost_reason": "x" * 301}, "lost_reason")):
        assert error_of(api.patch(path, json={**body, "notes": "changed"}), 422)["field"] == field, body
    for body, field in (({"value": 12.5}, "value"), ({"value": 12}, "value"), ({"lost_reason": 3}, "lost_reason"),
                        ({"next_follow_up_at": "tomorrow"}, "next_follow_up_at")):
        assert error_of(api.patch(path, json=body), 400)["field"] == field, body
    db.session.expire_all()
    row = db.session.get(Lead, lead.id)
    assert (row.status, row.notes, row.value_cents) == ("new", "keep", None)


def test_history_records_every_move_with_who_and_the_won_value(api, factory):
    lead = _lead(factory, api)
    path = f"/leads/{lead.id}"
    assert api.get(f"{path}/history").get_json() == {"data": []}
    api.patch(path, json={"status": "contacted"})
    api.patch(path, json={"status": "won", "value": "900"})
    lost = api.patch(path, json={"status": "lost", "lost_reason": "Price: too dear"}).get_json()["data"]
    assert lost["lost_reason"] == "Price: too dear" and lost["stage_changed_at"] is not None
    history = api.get(f"{path}/history").get_json()["data"]
    assert [(h["from"], h["to"], h["by"]) for h in history] == [
        ("new", "contacted", api.user.id), ("contacted", "won", api.user.id), ("won", "lost", api.user.id)]
    assert history[1]["value"] == "900.00" and history[2]["lost_reason"] == "Price: too dear"
    assert all(datetime.fromisoformat(h["at"]) <= datetime.now(timezone.utc) for h in history)


def test_history_of_another_workspaces_lead_is_a_404(api, factory):
    other = factory.workspace("Other")
    theirs = factory.lead(factory.conversation(factory.account(other, username="theirs")))
    assert error_of(api.get(f"/leads/{theirs.id}/history"), 404)
    assert error_of(api.patch(f"/leads/{theirs.id}", json={"value": "1"}), 404)
