"""Finding the email addresses and phone numbers customers type, to offer them for saving."""
from __future__ import annotations

import pytest

from app.leads.contact_facts import Offer, find_emails, find_phones, offers_for, offers_in
from app.models import Lead


@pytest.mark.parametrize("text, emails", [
    ("mail me: priya@example.com thanks", ["priya@example.com"]),
    ("Priya.Shah+shop@mail.example.co.uk.", ["Priya.Shah+shop@mail.example.co.uk"]),
    ("(jo@ex.io)", ["jo@ex.io"]),
    ("see https://user:pw@evil.example.com/path and www.x.com/a@b.com", []),
    ("@priya on instagram, or priya@ without a domain", []),
    ("two: a@b.co, c@d.org", ["a@b.co", "c@d.org"]),
])
def test_emails(text, emails):
    assert find_emails(text) == emails


@pytest.mark.parametrize("text, phones", [
    ("call me on +44 20 7946 0958 after 5", ["+44 20 7946 0958"]),
    ("my number is (555) 123-4567", ["(555) 123-4567"]),
    ("07700 900123", ["07700 900123"]),
    ("+49-30-1234567.", ["+49-30-1234567"]),
    ("WhatsApp +5511987654321", ["+5511987654321"]),
    # Not phones:
    ("order #1234567890 arrived", []),
    ("it costs $1,250.00 or 1.250.000 IDR", []),
    ("total: 1234567890", []),
    ("deliver on 2024-01-15 or 15.01.2024 at 10:30", []),
    ("we ran 2019 - 2024", []),
    ("see https://shop.example/p/12345678901 and example.com/1234567890", []),
    ("size 38 42 44", []),
    ("card 4111 1111 1111 1111 1111", []),
    ("version 1.2.3.4.5.6.7.8.9", []),
    ("50% of 1234567", []),
])
def test_phones(text, phones):
    assert find_phones(text) == phones


def test_offers_leave_out_what_the_lead_has_and_repeats():
    lead = Lead(email="Priya@Example.com", phone="+44 (20) 7946-0958")
    texts = ["new one: priya@shop.example, +44 20 7946 0958", "priya@example.com", "again priya@shop.example",
             "and 555-123-4567 or (555) 123 4567"]
    assert offers_in(texts, lead) == [Offer("email", "priya@shop.example"), Offer("phone", "555-123-4567")]


def test_offers_read_the_customers_newest_texts_only(factory):
    account = factory.account()
    conversation = factory.conversation(account)
    lead = factory.lead(conversation)
    factory.message(conversation, "reach me at mine@example.com")
    factory.message(conversation, "our shop is team@business.example", direction="out")
    deleted = factory.message(conversation, "oops wrong@example.com")
    deleted.is_deleted = True
    assert offers_for(lead, conversation.id) == [Offer("email", "mine@example.com")]
