"""The outbound webhooks' jobs (queue `default`) and how they get queued.

- `dispatch_webhooks`: claims what is due (app.integrations.sending : claim_due) and queues one
  `deliver_webhook` per claimed delivery, so a slow receiver holds up only its own deliveries. It is
  queued after every commit that wrote deliveries (app.integrations.events asks for it through
  app.jobs.after_commit : enqueue_after_commit), and the clock runs it
  every minute (app/jobs/schedule.py), which is also what sends the retries when their time comes
  and what picks up deliveries whose job a Redis outage lost: an outage delays, it loses nothing.
- `deliver_webhook`: one attempt (app.integrations.sending : attempt).
- `prune_webhook_deliveries`: deliveries older than 30 days, daily.
"""
from __future__ import annotations

from datetime import datetime

from app.integrations import sending
from app.jobs import QUEUE_DEFAULT, Call, enqueue_all


def dispatch_webhooks(now: datetime | None = None) -> int:
    """Claim the due deliveries and queue their sends; returns how many. `now`: the clock to judge
    "due" by (the sweep's; tests move it forward rather than sleep)."""
    total = 0
    while True:
        claimed = sending.claim_due(now)
        if claimed:
            enqueue_all([Call(deliver_webhook, (delivery_id, attempts), queue=QUEUE_DEFAULT, timeout=60)
                         for delivery_id, attempts in claimed])
        total += len(claimed)
        if len(claimed) < sending.CLAIM_BATCH:
            return total


def deliver_webhook(delivery_id: int, expected_attempts: int) -> None:
    """One try. The outcome is recorded as a WebhookAttempt; a failure is retried by the schedule
    in app.integrations.sending.BACKOFF (through the sweep), not by RQ, so the job never raises
    for the receiver's sake."""
    sending.attempt(delivery_id, expected_attempts)


def prune_webhook_deliveries() -> int:
    return sending.prune()
