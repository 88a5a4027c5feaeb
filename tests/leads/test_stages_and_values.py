"""The pipeline's rules in one place: app.leads.values (decimal strings ↔ hundredths, currencies) and
app.leads.stages (every move recorded; lost needs a reason; the value at a win kept)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import ActionRefused
from app.extensions import db
from app.leads import stages
from app.leads.actions import update_lead
from app.leads.values import display_value, format_value, parse_currency, parse_value
from app.models import LeadStageChange


@pytest.mark.parametrize("raw, cents", [("1250", 125000), ("1250.5", 125050), ("1,250.50", 125050),
                                        (" 0.01 ", 1), (1250, 125000), ("", None), (None, None),
                                        # a decimal comma (a phone's keypad in Europe): not 100 times more
                                        ("12,50", 1250), ("1,5", 150), ("1.250,50", 125050), ("1.250.000,5", 125000050),
                                        ("1,250", 125000), ("1,250,000", 125000000), ("0,5", 50), ("0.5", 50)])
def test_values_are_parsed_to_exact_hundredths(raw, cents):
    assert parse_value(raw) == cents


@pytest.mark.parametrize("raw", ["-5", "1.234", "12e3", "abc", "NaN", "1" * 13, 12.5, True, ["1"],
                                 "12,5000", "1,25,0", "1,2,3", "1.25,5.0", ",5", "12,", "1,250.5.0", "0,500", "0,500.5"])
def test_bad_values_are_refused_naming_the_field(raw):
    with pytest.raises(ActionRefused) as refused:
        parse_value(raw)
    assert refused.value.field == "value"


def test_values_are_written_back_with_two_decimals():
    assert [format_value(c) for c in (125050, 100, 7, None)] == ["1250.50", "1.00", "0.07", None]
    assert display_value(12505000, "EUR") == "125,050 EUR" and display_value(125050, "USD") == "1,250.50 USD"


def test_currencies_are_iso_codes():
    assert parse_currency(" eur ") == "EUR" and parse_currency("") is None
    for bad in ("EURO", "E1R", 12):
        with pytest.raises(ActionRefused):
            parse_currency(bad)


@pytest.fixture
def lead(factory):
    ws = factory.workspace("Shop")
    account = factory.account(ws)
    maya = factory.user(ws, name="Maya")
    conversation = factory.conversation(account)
    return factory.lead(conversation), maya


def test_every_move_is_recorded_with_who_from_to_and_the_value(lead):
    lead, maya = lead
    update_lead(lead, by=maya, status="contacted")
    update_lead(lead, by=maya, value="1250.50", currency="EUR")
    update_lead(lead, by=maya, status="won")
    update_lead(lead, by=maya, status="won")  # no move: nothing recorded
    moves = db.session.scalars(select(LeadStageChange).order_by(LeadStageChange.id)).all()
    assert [(m.from_status, m.to_status, m.user_id) for m in moves] == [("new", "contacted", maya.id), ("contacted", "won", maya.id)]
    assert moves[1].value_cents == 125050
    assert lead.stage_changed_at == moves[1].created_at
    assert stages.history(lead) == moves


def test_lost_needs_a_reason_and_leaving_lost_clears_it_on_the_lead(lead):
    lead, maya = lead
    with pytest.raises(ActionRefused) as refused:
        update_lead(lead, by=maya, status="lost", value="10")
    assert refused.value.field == "lost_reason"
    db.session.refresh(lead)
    assert (lead.status, lead.value_cents) == ("new", None)  # nothing applied when a check fails
    update_lead(lead, by=maya, status="lost", lost_reason="Price: wanted 20% off")
    assert (lead.status, lead.lost_reason) == ("lost", "Price: wanted 20% off")
    update_lead(lead, by=maya, status="qualified")
    assert lead.lost_reason is None
    assert [m.lost_reason for m in stages.history(lead)] == ["Price: wanted 20% off", None]


def test_a_value_without_currency_takes_the_workspaces(lead):
    lead, maya = lead
    update_lead(lead, by=maya, value="99")
    assert (lead.value_cents, lead.currency) == (9900, "USD")


def test_contact_facts_and_follow_ups_are_checked(lead):
    lead, maya = lead
    from datetime import datetime, timedelta, timezone

    when = datetime.now(timezone.utc) + timedelta(days=1)
    update_lead(lead, by=maya, email="priya@example.com", phone="+44 20 7946 0958", next_follow_up_at=when,
                follow_up_note="send the catalogue")
    assert (lead.email, lead.phone, lead.follow_up_note) == ("priya@example.com", "+44 20 7946 0958", "send the catalogue")
    for field, bad in (("email", "not-an-email"), ("phone", "call me"), ("next_follow_up_at", datetime(2027, 1, 1))):
        with pytest.raises(ActionRefused) as refused:
            update_lead(lead, by=maya, **{field: bad})
        assert refused.value.field == field
