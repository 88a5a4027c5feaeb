"""What a delivery's log row says (issue 15, item 2): `failed` means "could not be applied",
warnings are not failures, parked events never expire silently, ISO-8601 times are accepted,
read receipts for messages we never stored still count, and `changes` deliveries for a
connected account are on its workspace's log. Every case starts from a signed delivery."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.instagram import payloads as p
from app.models import DeferredEvent, Message, WebhookEvent, utcnow
from app.webhooks.jobs import DEFERRED_KEEP, sweep_ingest
from tests.webhooks.helpers import T0, only, post, rows

C = "6543210987654321"
UTC = timezone.utc


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@pytest.fixture
def account(factory):
    return factory.account(username="shop")


def deliver(client, account, *items, **entry_fields):
    entry = p.entry(account.ig_user_id, list(items))
    entry.update(entry_fields)
    response = post(client, p.delivery(entry))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    return response.get_json()["status"]


def last_log_row() -> WebhookEvent:
    db.session.expire_all()
    return rows(WebhookEvent)[-1]


# ------------------------------------------------------------- read receipts and parked events


@pytest.mark.parametrize("read", [
    {"mid": "never-stored"},
    {"mid": "never-stored", "watermark": T0 + 3000},
    {"watermark": T0 + 3000},
])
def test_read_receipt_for_a_message_never_stored_marks_earlier_outbound_messages_read(client, factory, account, read):
    contact = factory.contact(account, igsid=C)
    conversation = factory.conversation(account, contact, last_message_at=at(T0))
    factory.message(conversation, "a", direction="out", mid="o1", status="sent", source="inbox", created_at=at(T0))
    factory.message(conversation, "b", direction="out", mid="o2", status="delivered", source="inbox",
                    created_at=at(T0 + 2000))
    factory.message(conversation, "c", direction="out", mid="o3", status="sent", source="inbox",
                    created_at=at(T0 + 5000))
    item = {"sender": {"id": C}, "recipient": {"id": account.ig_user_id}, "timestamp": T0 + 3000, "read": read}
    assert deliver(client, account, item) == "applied"
    assert {m.mid: m.status for m in rows(Message)} == {"o1": "read", "o2": "read", "o3": "sent"}


def test_an_expired_parked_event_is_on_the_webhook_log_with_its_reason(client, auth, factory, account):
    admin = factory.user(account.workspace, role="admin")
    deliver(client, account, p.reaction(account.ig_user_id, C, "never-arrives", "love", "❤️", T0))
    row = last_log_row()
    assert row.status == "applied" and only(DeferredEvent).mid == "never-arrives"
    assert sweep_ingest(now=utcnow() + DEFERRED_KEEP + timedelta(minutes=5))["waiting_dropped"] == 1
    assert rows(DeferredEvent) == []
    db.session.expire_all()
    row = db.session.get(WebhookEvent, row.id)
    assert row.status == "applied" and row.error is None
    assert "reaction" in row.warnings and "never-arrives" in row.warnings and "never arrived" in row.warnings
    auth.login(admin)
    html = client.get("/webhooks/log").get_data(as_text=True)
    assert "never-arrives" in html and "never arrived" in html


# ------------------------------------------------------------------------ ISO-8601 times


@pytest.mark.parametrize("stamp, expected", [
    ("2026-12-04T10:00:00+0000", datetime(2026, 12, 4, 10, tzinfo=UTC)),
    ("2026-12-04T10:00:00Z", datetime(2026, 12, 4, 10, tzinfo=UTC)),
    ("2026-12-04T10:00:00.250Z", datetime(2026, 12, 4, 10, 0, 0, 250000, tzinfo=UTC)),
    ("2026-12-04T12:00:00+02:00", datetime(2026, 12, 4, 10, tzinfo=UTC)),
])
def test_iso_8601_timestamps_are_accepted_like_epoch_milliseconds(client, account, stamp, expected):
    item = p.text_message(account.ig_user_id, C, "m-iso", "hello", T0)
    item["timestamp"] = stamp
    assert deliver(client, account, item, time=stamp) == "applied"
    assert only(Message).created_at == expected
    row = last_log_row()
    assert row.error is None and row.warnings is None


def test_iso_8601_watermark_and_far_future_iso_time(client, factory, account):
    contact = factory.contact(account, igsid=C)
    conversation = factory.conversation(account, contact, last_message_at=at(T0))
    factory.message(conversation, "a", direction="out", mid="o1", status="sent", source="inbox",
                    created_at=datetime(2026, 12, 4, 9, tzinfo=UTC))
    factory.message(conversation, "b", direction="out", mid="o2", status="sent", source="inbox",
                    created_at=datetime(2026, 12, 4, 11, tzinfo=UTC))
    item = {"sender": {"id": C}, "recipient": {"id": account.ig_user_id}, "timestamp": "2026-12-04T11:30:00Z",
            "read": {"watermark": "2026-12-04T10:00:00+0000"}}
    assert deliver(client, account, item) == "applied"
    assert {m.mid: m.status for m in rows(Message)} == {"o1": "read", "o2": "sent"}
    # A time in year 9999 is still clamped to the receive time.
    before = utcnow()
    late = p.text_message(account.ig_user_id, C, "m-future", "from the future", T0)
    late["timestamp"] = "9999-12-31T23:59:59Z"
    assert deliver(client, account, late) == "applied"
    assert before <= rows(Message, Message.mid == "m-future")[0].created_at <= utcnow()


# ------------------------------------------------------------------ warnings are not failures


def test_a_delivery_applied_with_a_skipped_item_is_applied_with_a_warning(client, auth, factory, account):
    admin = factory.user(account.workspace, role="admin")
    good = p.text_message(account.ig_user_id, C, "m-good", "fine", T0)
    bad = p.text_message(account.ig_user_id, C, "m-bad", "x", T0 + 1)
    bad["message"]["text"] = 12345
    assert deliver(client, account, good, bad) == "applied"
    row = last_log_row()
    assert row.status == "applied" and row.error is None
    assert "message.text is a number" in row.warnings
    assert only(Message).mid == "m-good"
    auth.login(admin)
    assert "message.text is a number" in client.get("/webhooks/log?status=applied").get_data(as_text=True)
    assert f"delivery-{row.id}" not in client.get("/webhooks/log?status=failed").get_data(as_text=True)


def test_a_worked_around_timestamp_is_a_warning_not_a_failure(client, account):
    item = p.text_message(account.ig_user_id, C, "m1", "hello", T0)
    item["timestamp"] = "yesterday"
    assert deliver(client, account, item) == "applied"
    row = last_log_row()
    assert row.status == "applied" and "timestamp is not a usable timestamp" in row.warnings


def test_a_delivery_nothing_of_which_could_be_applied_is_failed(client, account):
    bad = p.text_message(account.ig_user_id, C, "m-bad", "x", T0)
    bad["message"]["text"] = 12345
    assert deliver(client, account, bad) == "failed"
    row = last_log_row()
    assert row.status == "failed" and "message.text is a number" in row.error


def test_replay_failed_replays_only_real_failures_and_exits_non_zero_while_any_remain(client, runner, account):
    good = p.text_message(account.ig_user_id, C, "m-good", "fine", T0)
    bad = p.text_message(account.ig_user_id, C, "m-bad", "x", T0 + 1)
    bad["message"]["text"] = 12345
    deliver(client, account, good, bad)
    with_warning = last_log_row()
    post(client, {"object": "instagram", "entry": "not a list"})
    still_failing = last_log_row()
    assert (with_warning.status, still_failing.status) == ("applied", "failed")

    result = runner.invoke(args=["webhooks", "replay", "--failed"])
    assert result.exit_code == 1, result.output
    assert f"#{still_failing.id}: failed" in result.output
    assert f"#{with_warning.id}" not in result.output  # applied with a warning: not replayed
    db.session.expire_all()
    assert db.session.get(WebhookEvent, with_warning.id).attempts == 1

    db.session.delete(db.session.get(WebhookEvent, still_failing.id))
    db.session.commit()
    result = runner.invoke(args=["webhooks", "replay", "--failed"])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ changes-style deliveries


COMMENT = {"field": "comments", "value": {"id": "17865799348089039", "text": "How much?", "from": {"id": "232323"},
                                         "media": {"id": "123123", "media_product_type": "FEED"}}}


@pytest.mark.parametrize("changes", [
    [COMMENT],
    [{"field": "mentions", "value": {"media_id": "17918195224117851", "comment_id": "17894227972186120"}}],
    [{"field": "messages", "value": "not an object"}],
    [{"field": "messages", "value": {"sender": {"id": C}, "timestamp": 1700000000, "message": {"mid": "m-x", "text": 7}}}],
    COMMENT,  # an object where the list should be: nothing in it can be applied
    [],
])
def test_a_changes_delivery_for_a_connected_account_is_on_its_workspace_log(client, auth, factory, account, changes):
    admin = factory.user(account.workspace, role="admin")
    body = {"object": "instagram",
            "entry": [{"id": account.ig_user_id, "time": 1700000000, "changes": changes}]}
    assert post(client, body).status_code == 200
    row = last_log_row()
    assert row.workspace_id == account.workspace_id
    auth.login(admin)
    assert f'id="delivery-{row.id}"' in client.get("/webhooks/log").get_data(as_text=True)
