"""Email addresses and phone numbers a customer typed in the chat, offered for saving on the lead.

The lead panel asks "Save priya@example.com as email?" with a button; nothing here saves anything.
Only what a person confirms reaches the lead (through app.leads.actions.update_lead, whose
clean_email / clean_phone stay the one rule of what a saved value may be).

Detection errs on the side of offering less: links are taken out before looking (an address in a
URL is not the customer's, a path of digits is not a phone), and a run of digits counts as a phone
only when it is long enough and not shaped like a date, a year range, a price or an order number."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from app.errors import ActionRefused
from app.extensions import db
from app.leads.actions import clean_email, clean_phone
from app.models import Lead, Message

SCANNED_MESSAGES = 20  # the customer's newest texts; older ones were offered (or passed over) before
MAX_OFFERS = 3

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|net|org|io|co|me|shop|store)/\S*")
_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24})(?![\w@-])")
# A candidate: digits with the separators people type in numbers (space, dot, dash, brackets), maybe
# a leading +. Not after a currency sign, '#', a letter or a digit-joining character (so "#1234567890",
# "R$ 1 250 000", "v1.2.3.4" are left alone); not followed by a unit, a percent or a currency.
_PHONE_CANDIDATE = re.compile(r"(?<![\w#$€£¥₹+/:@.,-])(\+?\(?\d[\d ().-]{5,22}\d\)?)(?![\w%$€£¥₹/@]|[.,:]\d)")
_DATE = re.compile(r"^\d{1,4}([./ -])\d{1,2}\1\d{1,4}$")
_YEAR_RANGE = re.compile(r"^(19|20)\d\d ?- ?(19|20)\d\d$")
_PRICE_GROUPS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")  # 1.250.000: thousands separators, a sum of money
_MONEY_AROUND = re.compile(r"(?i)(?:[$€£¥₹]|\b(?:usd|eur|gbp|brl|inr|rs|r\$|mxn|price|total|order|invoice|ref)\b)\s*[:#]?\s*$")


@dataclass(frozen=True)
class Offer:
    kind: str   # "email" or "phone", the lead's field
    value: str  # as the customer typed it (trimmed)


def find_emails(text: str) -> list[str]:
    found = []
    for match in _EMAIL.finditer(_URL.sub(" ", text or "")):
        candidate = match.group(1).rstrip(".")
        try:
            found.append(clean_email(candidate))
        except ActionRefused:
            continue
    return found


def find_phones(text: str) -> list[str]:
    text = _URL.sub(" ", text or "")
    text = _EMAIL.sub(" ", text)
    found = []
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group(1).strip()
        if candidate.count("(") != candidate.count(")"):
            candidate = candidate.strip("()")
        digits = sum(c.isdigit() for c in candidate)
        plus = candidate.startswith("+")
        if not (8 if plus else 10) <= digits <= 15:
            continue  # too short for a number with a country code / a national number, or a card number
        if _DATE.match(candidate) or _YEAR_RANGE.match(candidate) or _PRICE_GROUPS.match(candidate):
            continue
        if _MONEY_AROUND.search(text[:match.start()]):
            continue  # "$ 1234567890", "order #..." and "total: ..." are amounts and references
        try:
            found.append(clean_phone(candidate))
        except ActionRefused:
            continue
    return found


def _digits(value: str | None) -> str:
    return "".join(c for c in value or "" if c.isdigit())


def offers_in(texts: list[str], lead: Lead) -> list[Offer]:
    """What `texts` (newest first) hold that the lead does not have yet, newest first, each once."""
    offers: list[Offer] = []
    seen_emails = {(lead.email or "").lower()}
    seen_phones = {_digits(lead.phone)} if lead.phone else set()
    for text in texts:
        for email in find_emails(text):
            if email.lower() not in seen_emails:
                seen_emails.add(email.lower())
                offers.append(Offer("email", email))
        for phone in find_phones(text):
            if _digits(phone) not in seen_phones:
                seen_phones.add(_digits(phone))
                offers.append(Offer("phone", phone))
    return offers[:MAX_OFFERS]


def offers_for(lead: Lead, conversation_id: int) -> list[Offer]:
    """The offers from the conversation's newest inbound texts (one indexed query: ix_messages_thread)."""
    texts = list(db.session.scalars(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.direction == "in",
               Message.is_deleted.is_(False), Message.text.is_not(None))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(SCANNED_MESSAGES)))
    return offers_in(texts, lead)
