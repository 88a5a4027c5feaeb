"""`flask webhooks replay [--failed] [--id N]` (docs/contract.md#commands)."""
from __future__ import annotations

import json

from app.extensions import db
from app.instagram import payloads as p
from app.models import Message, WebhookEvent, utcnow
from tests.webhooks.helpers import T0, rows

C = "6543210987654321"


def stored(account, status, mid, body=None):
    body = body if body is not None else json.dumps(
        p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, C, mid, f"text {mid}", T0)]))).encode()
    row = WebhookEvent(body=body, status=status, attempts=1, received_at=utcnow(), ig_account_ids=account.ig_user_id)
    db.session.add(row)
    db.session.commit()
    return row.id


def test_replay_failed(runner, factory):
    account = factory.account()
    failed = [stored(account, "failed", "a"), stored(account, "failed", "b")]
    ignored = stored(account, "ignored", "c")
    result = runner.invoke(args=["webhooks", "replay", "--failed"])
    assert result.exit_code == 0, result.output
    assert f"#{failed[0]}: applied" in result.output and "2 replayed, 0 not applied" in result.output
    db.session.expire_all()
    assert {m.mid for m in rows(Message)} == {"a", "b"}
    assert db.session.get(WebhookEvent, ignored).status == "ignored"
    # Idempotent: a second run changes nothing.
    result = runner.invoke(args=["webhooks", "replay", "--id", str(failed[0]), "--id", str(failed[1])])
    assert result.exit_code == 0
    assert len(rows(Message)) == 2
    assert db.session.get(WebhookEvent, failed[0]).attempts == 3


def test_replay_one_by_id_and_report_failures(runner, factory):
    account = factory.account()
    good = stored(account, "ignored", "x")
    bad = stored(account, "rejected", "y", body=b"<html>")
    result = runner.invoke(args=["webhooks", "replay", "--id", str(good), "--id", str(bad), "--id", "999999"])
    assert result.exit_code == 1
    assert f"#{good}: applied" in result.output
    assert f"#{bad}: rejected - body is not JSON" in result.output
    assert "#999999: no such delivery" in result.output
    assert [m.mid for m in rows(Message)] == ["x"]


def test_replay_needs_a_selection(runner):
    result = runner.invoke(args=["webhooks", "replay"])
    assert result.exit_code == 2
    assert "--failed, or --id N" in result.output
