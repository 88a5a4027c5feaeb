"""Needs reply (app.messages.waiting): the customer spoke last and no person has answered since.
Automated replies do not answer; a reply from the inbox, the API or the Instagram app does; who
spoke last follows the newest message; resolving counts as handled."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import select

from app.extensions import db
from app.inbox import actions
from app.instagram import payloads as p
from app.messages import waiting
from app.models import Conversation, Message, utcnow
from app.outbound.replies import delete_failed_message, queue_reply
from tests.meta_kit import GRAPH_URL, sent_body
from tests.webhooks.conftest import graph  # noqa: F401  (autouse: profile lookups answer like Meta)
from tests.webhooks.helpers import post

C = "6543210987654321"


@pytest.fixture
def shop(factory):
    user = factory.user(name="Maya")
    return user, factory.account(user.workspace, username="shop")


@pytest.fixture
def sends(meta):
    """Meta accepts every send with a new mid."""
    counter = iter(range(1, 10**6))
    meta.add_callback(responses.POST, re.compile(re.escape(GRAPH_URL) + r"/v[\d.]+/\d+/messages"),
                      callback=lambda request: (200, {}, json.dumps(sent_body(f"mid.sent.{next(counter)}"))))
    return meta


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def at(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)


def deliver(client, account, *items):
    response = post(client, p.delivery(p.entry(account.ig_user_id, list(items))))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()


def conversation() -> Conversation:
    db.session.expire_all()
    return db.session.scalar(select(Conversation))


def customer_writes(client, account, mid: str, when: datetime, text: str = "Is it in stock?"):
    deliver(client, account, p.text_message(account.ig_user_id, C, mid, text, ms(when)))


def test_the_customers_message_starts_the_wait(client, shop):
    _, account = shop
    first = utcnow() - timedelta(minutes=30)
    customer_writes(client, account, "m1", first)
    customer_writes(client, account, "m2", first + timedelta(minutes=1), "Hello?")
    c = conversation()
    assert c.waiting_since == at(ms(first))  # the oldest unanswered message
    assert c.last_speaker == "customer" and waiting.needs_reply(c)


def test_an_automated_reply_does_not_answer_a_persons_does(client, shop, sends):
    user, account = shop
    customer_writes(client, account, "m1", utcnow() - timedelta(minutes=5))
    since = conversation().waiting_since
    queue_reply(conversation(), text="Thanks! We'll get back to you soon.", source="automation")
    c = conversation()
    assert c.waiting_since == since and c.last_speaker == "automation" and waiting.needs_reply(c)
    queue_reply(conversation(), text="Yes, it's in stock.", user=user, source="inbox")
    c = conversation()
    assert c.waiting_since is None and c.last_speaker == "team" and not waiting.needs_reply(c)


def test_an_api_reply_answers(client, shop, sends):
    user, account = shop
    customer_writes(client, account, "m1", utcnow() - timedelta(minutes=5))
    queue_reply(conversation(), text="Answered from our CRM", user=user, source="api")
    assert conversation().waiting_since is None and conversation().last_speaker == "team"


def test_a_reply_typed_in_the_instagram_app_answers(client, shop):
    _, account = shop
    asked = utcnow() - timedelta(minutes=5)
    customer_writes(client, account, "m1", asked)
    deliver(client, account, p.echo(account.ig_user_id, C, "e1", "Yes!", ms(asked + timedelta(minutes=1))))
    c = conversation()
    assert c.waiting_since is None and c.last_speaker == "team"


def test_the_echo_of_an_automated_reply_does_not_answer(client, shop, factory):
    """The echo of our own automated send (matched to it) must not clear the wait, as any echo did."""
    _, account = shop
    asked = utcnow() - timedelta(minutes=5)
    customer_writes(client, account, "m1", asked)
    c = conversation()
    factory.message(c, "Thanks for writing!", direction="out", mid=None, status="pending", source="automation",
                    created_at=asked + timedelta(seconds=30))
    deliver(client, account, p.echo(account.ig_user_id, C, "e-bot", "Thanks for writing!", ms(asked + timedelta(seconds=31))))
    c = conversation()
    assert db.session.scalar(select(Message.source).where(Message.mid == "e-bot")) == "automation"  # matched
    assert c.waiting_since == at(ms(asked)) and c.last_speaker == "automation"
    # A person's reply in the app after it does answer.
    deliver(client, account, p.echo(account.ig_user_id, C, "e-person", "Yes, it is!", ms(asked + timedelta(minutes=2))))
    assert conversation().waiting_since is None and conversation().last_speaker == "team"


def test_an_old_message_arriving_late_changes_neither(client, shop):
    _, account = shop
    now = utcnow()
    deliver(client, account, p.echo(account.ig_user_id, C, "e1", "We replied", ms(now - timedelta(minutes=1))))
    customer_writes(client, account, "m0", now - timedelta(minutes=10), "the question, delivered late")
    c = conversation()
    assert c.waiting_since is None and c.last_speaker == "team"


def test_a_referral_is_context_not_the_customer_speaking(client, shop):
    _, account = shop
    deliver(client, account, p.link_referral(account.ig_user_id, C, "from-bio", ms(utcnow() - timedelta(minutes=1))))
    c = conversation()
    assert c.waiting_since is None and c.last_speaker == "customer"


def test_resolving_counts_as_handled_and_the_next_message_waits_again(client, shop):
    _, account = shop
    customer_writes(client, account, "m1", utcnow() - timedelta(minutes=10), "Thanks, bye!")
    actions.set_status(conversation(), "resolved")
    c = conversation()
    assert c.waiting_since is None and not waiting.needs_reply(c)
    again = utcnow() - timedelta(minutes=1)
    customer_writes(client, account, "m2", again, "One more question")
    c = conversation()
    assert c.status == "open" and c.waiting_since == at(ms(again)) and waiting.needs_reply(c)


def test_reopening_by_hand_puts_an_unanswered_customer_back_under_needs_reply(client, shop, factory):
    """Resolved by mistake (only the bot had answered) and reopened: the customer is waiting again,
    since their first unanswered message, not dropped from the queue."""
    _, account = shop
    asked = utcnow() - timedelta(minutes=50)
    customer_writes(client, account, "m1", asked, "Do you sell gift cards?")
    factory.message(conversation(), "Bot: thanks for your message!", direction="out", source="automation",
                    created_at=asked + timedelta(seconds=5))
    actions.set_status(conversation(), "resolved")
    assert conversation().waiting_since is None
    actions.set_status(conversation(), "open")
    c = conversation()
    assert c.waiting_since == at(ms(asked)) and waiting.needs_reply(c)
    # Answered by a person before it was resolved: reopening finds nobody waiting.
    factory.message(c, "Yes, from 20 EUR", direction="out", source="inbox", created_at=asked + timedelta(minutes=2))
    actions.set_status(conversation(), "resolved")
    actions.set_status(conversation(), "pending")
    assert conversation().waiting_since is None and not waiting.needs_reply(conversation())


def test_a_snoozed_conversation_keeps_its_wait_but_needs_no_reply_until_it_wakes(client, shop):
    _, account = shop
    customer_writes(client, account, "m1", utcnow() - timedelta(minutes=10))
    actions.set_status(conversation(), "snoozed", utcnow() + timedelta(hours=2))
    c = conversation()
    assert c.waiting_since is not None and not waiting.needs_reply(c)
    actions.set_status(conversation(), "pending")
    assert waiting.needs_reply(conversation())


def test_deleting_a_failed_answer_puts_the_wait_back(client, shop, factory):
    user, account = shop
    asked = utcnow() - timedelta(minutes=10)
    customer_writes(client, account, "m1", asked)
    c = conversation()
    failed = factory.message(c, "Sorry, it", direction="out", mid=None, status="failed", source="inbox",
                             sent_by_id=user.id, created_at=asked + timedelta(minutes=1))
    c.waiting_since, c.last_speaker = None, "team"  # as queue_reply left it
    db.session.commit()
    delete_failed_message(db.session.get(Message, failed.id))
    c = conversation()
    assert c.waiting_since == at(ms(asked)) and c.last_speaker == "customer"


def test_waited_reads_like_a_person_would_say_it():
    now = utcnow()
    assert waiting.waited(now - timedelta(seconds=20), now) == "under a minute"
    assert waiting.waited(now - timedelta(minutes=12), now) == "12 min"
    assert waiting.waited(now - timedelta(hours=2, minutes=50), now) == "2 h"
    assert waiting.waited(now - timedelta(days=3, hours=1), now) == "3 d"
    assert waiting.waited(None, now) == ""
