"""`flask demo` shows the pipeline: deals with values and currencies, a won lead with its steps, a
lost one with its reason, follow-ups overdue, due today and coming up, and a customer's email and
phone in a DM for the panel to offer. A second run changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.leads.contact_facts import offers_for
from app.models import Contact, Lead, LeadStageChange, utcnow
from app.standin import customer_igsid
from tests.demo.test_demo_seed import run_demo


def _leads() -> dict[str, Lead]:
    db.session.expire_all()
    rows = db.session.execute(select(Contact.igsid, Lead).join(Contact, Contact.id == Lead.contact_id)).all()
    return {igsid: lead for igsid, lead in rows}


def _history(lead):
    return [(c.from_status, c.to_status, c.value_cents, c.lost_reason) for c in db.session.scalars(
        select(LeadStageChange).where(LeadStageChange.lead_id == lead.id).order_by(LeadStageChange.id))]


def test_the_demo_pipeline(runner):
    run_demo(runner)
    leads = _leads()
    lena = leads[customer_igsid("lena.bakes")]
    assert (lena.status, lena.value_cents, lena.currency) == ("won", 8900, "EUR")
    assert _history(lena) == [("new", "contacted", 8900, None), ("contacted", "qualified", 8900, None),
                              ("qualified", "won", 8900, None)]
    theo = leads[customer_igsid("theo.k")]
    assert theo.status == "lost" and theo.lost_reason.startswith("No reply")
    assert leads[customer_igsid("priya.m")].currency == "GBP"
    now = utcnow()
    due = [lead for lead in leads.values() if lead.next_follow_up_at is not None]
    assert any(lead.next_follow_up_at < now for lead in due) and any(lead.next_follow_up_at > now for lead in due)
    priya = leads[customer_igsid("priya.m")]
    assert {(o.kind, o.value) for o in offers_for(priya, priya.conversation_id)} == {
        ("email", "priya@shopfront.example"), ("phone", "+44 20 7946 0958")}

    before = {igsid: (lead.status, lead.value_cents, lead.next_follow_up_at, len(_history(lead)))
              for igsid, lead in leads.items()}
    run_demo(runner)
    after = {igsid: (lead.status, lead.value_cents, lead.next_follow_up_at, len(_history(lead)))
             for igsid, lead in _leads().items()}
    assert after == before
