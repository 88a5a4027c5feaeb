"""What happens after a delivery is committed: jobs for the slow parts, queued by app.webhooks.ingest
(docs/architecture.md#jobs-queues-and-the-sweeps).

Nothing here is needed for a message to exist. If an enqueue is lost (Redis down), the periodic
sweep in app.webhooks.jobs finds the undone work again (automation by the mark its message row
carries: app.automation.jobs).
"""
from __future__ import annotations

from app.automation.jobs import run_automation_for_message
from app.jobs import QUEUE_DEFAULT, Call, RetryPolicy, enqueue_all
from app.webhooks.apply import ApplyResult

# Meta's hiccups and rate limits pass within minutes; the sweep catches anything later.
PROFILE_RETRY = RetryPolicy((30, 120, 600))
AUTOMATION_RETRY = RetryPolicy((10, 60, 300))


def after_apply(result: ApplyResult) -> None:
    """Enqueue the follow-ups of one applied delivery, all in one Redis round trip: the customer's
    profile lookup for new and stale contacts, automation for each new inbound message of an account
    it could answer (never standby ones, never echoes, never comments), and the posts of comments to fetch. `app.webhooks.ingest` calls it after its commit; it runs on the
    webhook's critical path, before Meta gets its 200."""
    contact_ids = dict.fromkeys(result.new_contact_ids + result.stale_contact_ids)
    enqueue_all([_profile_call(contact_id) for contact_id in contact_ids]
                + _automation_calls(result.automation_message_ids)
                + _comment_automation_calls(result.comment_message_ids)
                + [media_call(media_id) for media_id in dict.fromkeys(result.media_ids)])


def enqueue_profile_fetch(contact_id: int) -> bool:
    return enqueue_all([_profile_call(contact_id)])


def _profile_call(contact_id: int) -> Call:
    from app.webhooks.jobs import fetch_contact_profile

    return Call(fetch_contact_profile, (contact_id,), queue=QUEUE_DEFAULT, retry=PROFILE_RETRY)


def media_call(media_id: int) -> Call:
    """The post a comment is on, fetched after the commit (app.comments.jobs)."""
    from app.comments.jobs import fetch_media

    return Call(fetch_media, (media_id,), queue=QUEUE_DEFAULT, retry=PROFILE_RETRY)


def comment_automation_call(message_id: int) -> Call:
    from app.automation.jobs import run_comment_automation

    return Call(run_comment_automation, (message_id,), queue=QUEUE_DEFAULT, retry=AUTOMATION_RETRY)


def automation_call(message_id: int) -> Call:
    return Call(run_automation_for_message, (message_id,), queue=QUEUE_DEFAULT, retry=AUTOMATION_RETRY)


def _comment_automation_calls(message_ids: list[int]) -> list[Call]:
    return [comment_automation_call(message_id) for message_id in message_ids]


def _automation_calls(message_ids: list[int]) -> list[Call]:
    return [automation_call(message_id) for message_id in message_ids]
