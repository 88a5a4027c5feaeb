"""A small fixed data set whose every report figure is worked out by hand in its docstring.

The workspace keeps time in New York (UTC-5 in January) and has business hours Monday to Friday
09:00-17:00 there. The period is Mon 5 - Wed 7 January 2026, i.e. 05:00Z on the 5th to 05:00Z on
the 8th. Two accounts (shop, outlet), three people (Ada admin, Sam and Tia agents), label vip.

Conversations created in the period (times UTC; New York in brackets):
  C1 shop, Sam, open. Created 5th 14:00 (Mon 09:00). Customer 14:00, automation 14:00:30, Sam 14:10,
     customer 15:00, Sam 15:05. First response 600 s; business hours 600 s.
  C2 shop, Sam, resolved, vip. Created 5th 23:00 (Mon 18:00). Customer 23:00, Sam 6th 14:30
     (Tue 09:30). First response 55 800 s (15.5 h); business hours 1 800 s (09:00-09:30). Last
     message 6th 14:30: resolution 55 800 s.
  C3 outlet, Tia, open. Created 7th 04:30 (Tue 6th 23:30: a UTC day later than its local day).
     Customer 7th 04:30, Tia (API) 8th 06:30 (after the period). First response 93 600 s (26 h,
     outside Meta's window); business hours all of Wednesday, 8 h = 28 800 s.
  C4 shop, nobody, open. Created 6th 16:00 (Tue 11:00). Ad referral line 15:59:59 (not a message the
     customer wrote), customer 16:00, Sam's failed send 16:01 (never reached them), automation
     16:02, Ada 16:20. First response 1 200 s; business hours 1 200 s.
  C5 shop, Sam, open. Created 7th 20:00 (Wed 15:00). Customer 20:00, no answer.
Before the period: C6 shop, Tia, created 4th (Sunday): customer 5th 13:00 (Mon 08:00), Tia 13:30,
  customer 6th 04:59:59 (Mon 23:59:59, still Monday in New York).
Another workspace has a conversation with messages in the period: never counted.

By hand:
  conversations 5: Mon 2 (C1, C2), Tue 2 (C3, C4), Wed 1 (C5).
  inbound 8: Mon 5 (C1 x2, C2, C6 x2), Tue 2 (C3, C4), Wed 1 (C5).
  outbound 5: Mon 3 (Sam x2 in C1, Tia in C6), Tue 2 (Sam in C2, Ada in C4), Wed 0.
  first responses (answered 4 of 5): 600, 1200, 55800, 93600 -> median 28500,
    p90 at rank 0.9*3 = 2.7: 55800 + 0.7*(93600-55800) = 82260.
  business hours: 600, 1200, 1800, 28800 -> median 1500, p90 1800 + 0.7*27000 = 20700.
  inside 24 h: C1, C2, C4 = 3 of 5 -> 0.6.   resolution: C2 only -> 55800.
  per agent: Ada 0 conversations, 1 reply, no median; Sam 3 (C1, C2, C5), 3 replies (the failed one
    not), median of 600 and 55800 = 28200; Tia 1 (C3), 1 reply (C6; C3's is after the period), 93600.
Leads created in the period (USD workspace):
  L1 ad, C1: new -> contacted -> qualified -> won, 100.00 USD.
  L2 ad, C2: new -> contacted -> lost.
  L3 dm, C3: status qualified, no history (older than the history table).
  L4 story, C4: new -> won directly, 50.00 EUR.   L6 (C6) created on the 4th: not counted.
  ad: 2 leads, 2 contacted, 1 qualified, 1 won, 100.00. dm: 1, 1, 1, 0, 0.00.
  story: 1, 1, 1, 1, 0.00 (+1 in another currency).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from app.extensions import db
from app.models import AutomationSettings, ConversationLabel, Label, LeadStageChange

PERIOD = {"from": "2026-01-05", "to": "2026-01-07"}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=timezone.utc)


@dataclass
class Dataset:
    workspace: object
    ada: object
    sam: object
    tia: object
    shop: object
    outlet: object
    conversations: dict


def build(factory) -> Dataset:
    ws = factory.workspace()
    ws.timezone, ws.currency = "America/New_York", "USD"
    ada = factory.user(ws, name="Ada Admin", role="admin")
    sam = factory.user(ws, name="Sam Rivera", role="agent")
    tia = factory.user(ws, name="Tia Chen", role="agent")
    shop, outlet = factory.account(ws, username="shop"), factory.account(ws, username="outlet")
    db.session.add(AutomationSettings(workspace_id=ws.id, timezone="America/New_York",
                                      business_hours={str(d): [["09:00", "17:00"]] for d in range(5)}))
    db.session.commit()

    def conversation(account, created, assignee=None, status="open", last=None):
        return factory.conversation(account, created_at=created, assignee_id=assignee.id if assignee else None,
                                    status=status, last_message_at=last or created)

    def say(conversation, when, **fields):
        factory.message(conversation, created_at=when, **fields)

    def reply(conversation, when, by=None, source="inbox", **fields):
        factory.message(conversation, direction="out", created_at=when, source=source,
                        sent_by_id=by.id if by else None, **fields)

    c1 = conversation(shop, at(5, 14), sam, last=at(5, 15, 5))
    say(c1, at(5, 14)); reply(c1, at(5, 14, 0, 30), source="automation"); reply(c1, at(5, 14, 10), sam)
    say(c1, at(5, 15)); reply(c1, at(5, 15, 5), sam)
    c2 = conversation(shop, at(5, 23), sam, status="resolved", last=at(6, 14, 30))
    say(c2, at(5, 23)); reply(c2, at(6, 14, 30), sam)
    c3 = conversation(outlet, at(7, 4, 30), tia, last=at(8, 6, 30))
    say(c3, at(7, 4, 30)); reply(c3, at(8, 6, 30), tia, source="api")
    c4 = conversation(shop, at(6, 16), last=at(6, 16, 20))
    say(c4, at(6, 15, 59, 59), kind="referral", text=None); say(c4, at(6, 16))
    reply(c4, at(6, 16, 1), sam, status="failed", mid=None); reply(c4, at(6, 16, 2), source="automation")
    reply(c4, at(6, 16, 20), ada)
    c5 = conversation(shop, at(7, 20), sam)
    say(c5, at(7, 20))
    c6 = conversation(shop, at(4, 20), tia, last=at(6, 4, 59, 59))
    say(c6, at(5, 13)); reply(c6, at(5, 13, 30), tia); say(c6, at(6, 4, 59, 59))

    other = factory.account(factory.workspace())
    stranger = factory.conversation(other, created_at=at(6, 12))
    factory.message(stranger, created_at=at(6, 12))
    factory.message(stranger, direction="out", created_at=at(6, 12, 5))

    vip = Label(workspace_id=ws.id, name="vip")
    db.session.add(vip)
    db.session.flush()
    db.session.add(ConversationLabel(conversation_id=c2.id, label_id=vip.id))

    def lead(conversation, source, status, created, moves=(), value=None, currency=None):
        row = factory.lead(conversation, source=source, status=status, created_at=created, value_cents=value,
                           currency=currency)
        before = None
        for n, to in enumerate(moves):
            db.session.add(LeadStageChange(workspace_id=ws.id, lead_id=row.id, from_status=before, to_status=to,
                                           created_at=at(created.day, 18, n)))
            before = to
        db.session.commit()
        return row

    lead(c1, "ad", "won", at(5, 14), ("new", "contacted", "qualified", "won"), 10000, "USD")
    lead(c2, "ad", "lost", at(5, 23), ("new", "contacted", "lost"))
    lead(c3, "dm", "qualified", at(7, 4, 30))
    lead(c4, "story", "won", at(6, 16), ("new", "won"), 5000, "EUR")
    lead(c6, "dm", "won", at(4, 20), ("new", "won"), 7000, "USD")
    db.session.commit()
    return Dataset(ws, ada, sam, tia, shop, outlet, {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6})


@pytest.fixture
def dataset(factory) -> Dataset:
    return build(factory)
