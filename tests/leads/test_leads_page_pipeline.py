"""The leads page and its CSV with the pipeline: value shown, lost asks why, the new columns."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from app.extensions import db
from app.models import Lead, LeadStageChange


def _setup(factory, auth):
    ws = factory.workspace("Shop")
    sam = factory.user(ws, name="Sam", role="agent")
    account = factory.account(ws, username="acme")
    conversation = factory.conversation(account, contact=factory.contact(account, name="Ann", username="ann"))
    lead = factory.lead(conversation, value_cents=125050, currency="EUR", email="=HYPERLINK(\"x\")",
                        phone="+1 555 010 9999", next_follow_up_at=datetime(2027, 1, 4, 8, 0, tzinfo=timezone.utc),
                        follow_up_note="call", status="lost", lost_reason="Price")
    auth.login(sam)
    return sam, lead


def test_the_table_shows_the_value_and_asks_why_a_lead_was_lost(client, factory, auth):
    sam, lead = _setup(factory, auth)
    lead.status, lead.lost_reason = "new", None
    db.session.commit()
    html = client.get("/leads").get_data(as_text=True)
    assert "1,250.50 EUR" in html and "Why was it lost?" in html and 'href="/leads/follow-ups"' in html
    response = auth.post(f"/leads/{lead.id}/status", {"status": "lost"}, htmx=True)
    assert response.status_code == 422 and "say why the lead was lost" in response.get_data(as_text=True)
    response = auth.post(f"/leads/{lead.id}/status", {"status": "lost", "lost_reason": "Timing", "lost_detail": "next season"},
                         htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).lost_reason == "Timing: next season"
    change = db.session.scalar(db.select(LeadStageChange))
    assert (change.to_status, change.user_id) == ("lost", sam.id)  # the leads page records who, as the panel does


def test_csv_carries_the_pipeline_fields_safely(client, factory, auth):
    _, lead = _setup(factory, auth)
    body = client.get("/leads.csv").get_data(as_text=True).lstrip("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert (row["value"], row["currency"], row["lost_reason"], row["phone"]) == ("1250.50", "EUR", "Price", "'+1 555 010 9999")
    assert row["email"] == "'=HYPERLINK(\"x\")"  # the formula guard covers the new cells too
    assert (row["next_follow_up_at"], row["follow_up_note"]) == ("2027-01-04T08:00:00Z", "call")
    assert row["stage_changed_at"].endswith("Z")
