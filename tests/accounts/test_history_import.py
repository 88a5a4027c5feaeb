"""The history import (app.accounts.history_import) against Meta's Conversations API at the HTTP
boundary: pages with paging.next, the window, idempotency with webhooks and with itself, resuming
from the stored cursor, pacing on a fake clock, rate limits and dead tokens, and quietness (no
unread, automation or notifications)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import history_import, history_pacing
from app.accounts.history_import import resume_stalled_imports, start_import
from app.errors import ActionRefused
from app.extensions import db
from app.instagram import payloads
from app.models import (
    AccountImport,
    Contact,
    Conversation,
    ConversationUnread,
    InstagramAccount,
    Lead,
    Message,
    Notification,
    utcnow,
)
from tests.accounts.history_kit import IG, FakeClock, FakeHistory, ago, gmsg
from tests.webhooks.helpers import post

C1, C2, C3, C4 = "9000000000000001", "9000000000000002", "9000000000000003", "9000000000000004"


@pytest.fixture
def clock():
    fake = FakeClock()
    previous = fake.install()
    yield fake
    history_pacing.use_clock(previous)


@pytest.fixture
def account(factory):
    workspace = factory.workspace()
    factory.user(workspace, role="admin")
    factory.user(workspace, role="agent")
    return factory.account(workspace, ig_user_id=IG, username="acme")


@pytest.fixture
def history(clock, meta):
    """Four conversations; c4 is older than 30 days (the walk stops there); c1's first message is
    older than the window (its walk stops there); c2 ends on our word, c1 and c3 on the customer's."""
    fake = FakeHistory(clock)
    fake.add("c1", C1, [gmsg("m1a", C1, "too old", ago(days=40)), gmsg("m1b", C1, "Hi, price?", ago(days=3)),
                        gmsg("m1c", C1, "€40", ago(days=3, minutes=-5), ours=True),
                        gmsg("m1d", C1, "Do you ship?", ago(days=2))])
    fake.add("c2", C2, [gmsg("m2a", C2, "Open Sunday?", ago(days=8)), gmsg("m2b", C2, "11 to 17", ago(days=7), ours=True)])
    fake.add("c3", C3, [gmsg("m3a", C3, None, ago(days=20),
                             attachments=[{"image_data": {"url": "https://cdn.example/p.jpg"}, "mime_type": "image/jpeg"}]),
                        gmsg("m3b", C3, "this one please", ago(days=20, minutes=-1))])
    fake.add("c4", C4, [gmsg("m4a", C4, "ancient", ago(days=45))])
    fake.register(meta)
    return fake


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _state(account) -> AccountImport:
    db.session.expire_all()
    return db.session.scalar(select(AccountImport).where(AccountImport.account_id == account.id))


def _conversation(igsid: str) -> Conversation:
    return db.session.scalar(select(Conversation).join(Contact).where(Contact.igsid == igsid))


def test_a_full_import_walks_every_page_inside_the_window_and_stops_at_older_ones(account, history):
    start_import(account)
    state = _state(account)
    assert (state.status, state.done, state.total, state.last_error) == ("done", 3, 3, None)
    assert state.finished_at is not None
    # Two pages of conversations (two a page), the second one ending at c4: no third page asked.
    assert [c.after for c in history.calls if c.kind == "list"] == [None, "2"]
    # paging.next pointed elsewhere (with a token in it); the import asked our host with `after`.
    mids = set(db.session.scalars(select(Message.mid)))
    assert mids == {"m1b", "m1c", "m1d", "m2a", "m2b", "m3a", "m3b"}  # m1a and m4a are older than 30 days
    c1, c2, c3 = _conversation(C1), _conversation(C2), _conversation(C3)
    assert _conversation(C4) is None
    # Who spoke last and whether the customer waits follow from the history (app.messages.waiting).
    assert (c1.last_speaker, c1.waiting_since is not None, c1.last_message_preview) == ("customer", True, "Do you ship?")
    assert (c2.last_speaker, c2.waiting_since) == ("team", None)
    assert c3.last_speaker == "customer" and c3.waiting_since is not None
    image = db.session.scalar(select(Message).where(Message.mid == "m3a"))
    assert image.attachments[0]["type"] == "image" and image.attachments[0]["url"] == "https://cdn.example/p.jpg"
    ours = db.session.scalar(select(Message).where(Message.mid == "m1c"))
    assert (ours.direction, ours.source, ours.status) == ("out", "app", "sent")
    assert abs(c1.last_message_at - ago(days=2)) < timedelta(minutes=1)
    # New customers are leads from the import; their profiles come from the profile job.
    assert sorted(db.session.scalars(select(Lead.source))) == ["import", "import", "import"]
    assert {c.target for c in history.calls if c.kind == "profile"} == {C1, C2, C3}
    assert db.session.scalar(select(Contact.username).where(Contact.igsid == C1)) == "u0001"
    # They began when their first message inside the window was written, not at the import: the
    # reports' new conversations and leads per day (and the leads list's order) go by these times.
    for conversation, first in ((c1, ago(days=3)), (c2, ago(days=8)), (c3, ago(days=20))):
        assert abs(conversation.created_at - first) < timedelta(minutes=1), conversation.id
        lead = db.session.scalar(select(Lead).where(Lead.conversation_id == conversation.id))
        assert abs(lead.created_at - first) < timedelta(minutes=1), conversation.id


def test_imported_history_is_quiet_no_unread_automation_notification_or_assignment(account, history, monkeypatch):
    queued = []
    monkeypatch.setattr("app.webhooks.followups.enqueue_all", lambda calls: queued.extend(calls) or True)
    account.assignment = "round_robin"
    db.session.commit()
    start_import(account)
    assert _count(Message) == 7
    assert {c.unread_count for c in db.session.scalars(select(Conversation))} == {0}
    assert _count(ConversationUnread) == 0
    assert _count(Notification) == 0
    assert {c.assignee_id for c in db.session.scalars(select(Conversation))} == {None}
    # Only profile lookups were queued: no automation for any imported message.
    assert {call.func.__name__ for call in queued} == {"fetch_contact_profile"}
    assert db.session.get(InstagramAccount, account.id).last_webhook_at is None  # an import is not a webhook


def test_history_never_reopens_or_marks_unread_a_conversation_the_team_has_handled(account, history, factory):
    contact = factory.contact(account, igsid=C1)
    conversation = factory.conversation(account, contact, status="resolved", last_message_at=ago(days=1))
    factory.lead(conversation, source="ad")
    start_import(account)
    db.session.expire_all()
    conversation = db.session.get(Conversation, conversation.id)
    assert (conversation.status, conversation.unread_count) == ("resolved", 0)
    # Already a lead: where they came from stays as it was.
    assert db.session.scalar(select(Lead.source).where(Lead.contact_id == contact.id)) == "ad"


def test_an_import_run_twice_with_webhooks_arriving_during_it_leaves_no_duplicate(account, history, client):
    # While the import reads c2, Meta delivers c2's newest message (m2b, our echo) and a new one.
    def webhook_meanwhile(call):
        if call.kind == "messages" and call.target == "c2" and not getattr(webhook_meanwhile, "sent", False):
            webhook_meanwhile.sent = True
            at = int(ago(days=7).timestamp() * 1000)
            body = payloads.delivery(payloads.entry(IG, [payloads.echo(IG, C2, "m2b", "11 to 17", at),
                                                         payloads.text_message(IG, C2, "m2c", "see you!")]))
            assert post(client, body).status_code == 200

    history.before_answer.append(webhook_meanwhile)
    start_import(account)
    assert _state(account).status == "done"
    assert _count(Message) == 8  # the 7 imported (m2b once) and the webhook's new m2c
    assert _count(Message, Message.mid == "m2b") == 1

    start_import(account)  # again, after done: from the first page, and idempotent
    state = _state(account)
    assert (state.status, state.done, state.run) == ("done", 3, 2)
    assert _count(Message) == 8
    assert _count(Conversation) == 3 and _count(Contact) == 3 and _count(Lead) == 3
    assert [c.after for c in history.calls if c.kind == "list"] == [None, "2", None, "2"]


def test_a_webhook_that_came_first_is_the_one_row_and_keeps_the_unread_it_earned(account, history, client):
    at = int(ago(days=2).timestamp() * 1000)
    post(client, payloads.delivery(payloads.entry(IG, [payloads.text_message(IG, C1, "m1d", "Do you ship?", at)])))
    assert _conversation(C1).unread_count == 1
    start_import(account)
    assert _count(Message, Message.mid == "m1d") == 1
    conversation = _conversation(C1)
    assert conversation.unread_count == 1  # the webhook's, not doubled by the import
    assert db.session.scalar(select(Lead.source).where(Lead.contact_id == conversation.contact_id)) == "dm"
    # The webhook made the conversation and lead when it came; the import shows they began 3 days
    # ago (m1b), and that is when reports count them.
    lead = db.session.scalar(select(Lead).where(Lead.contact_id == conversation.contact_id))
    assert abs(conversation.created_at - ago(days=3)) < timedelta(minutes=1)
    assert abs(lead.created_at - ago(days=3)) < timedelta(minutes=1)


def test_a_failure_mid_way_is_resumed_from_the_stored_cursor_not_from_zero(account, history):
    history.fail("list", 2, 100, message="Invalid parameter")  # the second page is refused
    start_import(account)
    state = _state(account)
    assert (state.status, state.done, state.total, state.cursor) == ("failed", 2, 2, "2")
    assert "Instagram answered: Invalid parameter" in state.last_error
    fetched_before = [c.target for c in history.calls if c.kind == "messages"]
    assert set(fetched_before) == {"c1", "c2"}

    start_import(account)  # the Retry button
    state = _state(account)
    assert (state.status, state.done, state.total) == ("done", 3, 3)
    lists = [c.after for c in history.calls if c.kind == "list"]
    assert lists == [None, "2", "2"]  # continued at the stored cursor
    fetched_after = [c.target for c in history.calls if c.kind == "messages"][len(fetched_before):]
    assert set(fetched_after) == {"c3"}  # page one's conversations were not read again
    assert _count(Message) == 7


def test_a_worker_killed_mid_page_is_resumed_by_the_sweep_from_the_stored_position(account, history, monkeypatch):
    real = history_import._import_conversation
    calls = {"n": 0}

    def dies_on_the_second(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the worker is killed: nothing of the job's own handling runs
        return real(*args)

    monkeypatch.setattr(history_import, "_import_conversation", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        history_import.import_history_page(account.id, _run_started(account))
    db.session.rollback()
    state = _state(account)
    assert (state.status, state.done, state.page_position) == ("running", 1, 1)
    assert resume_stalled_imports() == 0  # its lease still holds: the job may be alive
    monkeypatch.setattr(history_import, "_import_conversation", real)
    later = utcnow() + history_import.LEASE + timedelta(minutes=1)
    assert resume_stalled_imports(now=later) == 1
    state = _state(account)
    assert (state.status, state.done, state.total) == ("done", 3, 3)
    assert [c.target for c in history.calls if c.kind == "messages" and c.after is None].count("c1") == 1
    assert _count(Message) == 7


def _run_started(account) -> int:
    """A running import whose first job has not run yet (as if queued on a worker)."""
    state = AccountImport(account_id=account.id, status="running", run=1, days=30, since=utcnow() - timedelta(days=30),
                          started_at=utcnow())
    db.session.add(state)
    db.session.commit()
    return 1


def test_calls_are_paced_under_two_a_second_per_account(account, history):
    history.messages_page = 1  # more calls: one per message
    start_import(account)
    calls = history.meta_calls()
    assert len(calls) >= 10
    times = [c.at_ms for c in calls]
    for n, at in enumerate(times):
        within_a_second = [t for t in times[n:] if t < at + 1000]
        assert len(within_a_second) <= 2, (n, times)
    assert min(b - a for a, b in zip(times, times[1:])) >= history_pacing.CALL_INTERVAL_MS


def test_two_workers_share_one_pace(account, clock):
    state = AccountImport(account_id=account.id, status="running", run=1)
    db.session.add(state)
    db.session.commit()
    # Two jobs taking slots at the same instant: the second waits for the first's interval.
    waits = [history_pacing.take_slot(state.id) for _ in range(4)]
    assert waits == [0, 600, 1200, 1800]


def test_a_rate_limit_is_retried_later_and_slower(account, history, clock):
    history.fail("messages", 2, 4, message="(#4) Application request limit reached")
    start_import(account)
    state = _state(account)
    assert (state.status, state.done, state.attempts) == ("done", 3, 0)
    failed_at = [c for c in history.calls if c.kind == "messages"][1].at_ms
    retried_at = [c for c in history.calls if c.kind == "list"][0].at_ms  # not the same call: the page again
    page_again = [c for c in history.calls if c.kind == "list" and c.at_ms > failed_at]
    assert page_again and page_again[0].at_ms - failed_at >= history_import.RETRY_DELAYS[0] * 1000
    assert retried_at < failed_at
    assert _count(Message) == 7


def test_rate_limits_that_never_end_fail_the_run_with_the_reason(account, history):
    for n in range(1, 10):
        history.fail("list", n, 17, message="(#17) User request limit reached")
    start_import(account)
    state = _state(account)
    assert state.status == "failed"
    assert "busy right now" in state.last_error
    assert history.count("list") == len(history_import.RETRY_DELAYS) + 1


def test_a_dead_token_marks_the_account_reauth_required_and_fails_the_import(account, history):
    history.fail("messages", 1, 190, 463, message="Error validating access token: Session has expired")
    start_import(account)
    state = _state(account)
    assert state.status == "failed"
    assert "no longer accepts this account's access token" in state.last_error
    refreshed = db.session.get(InstagramAccount, account.id)
    assert refreshed.status == "reauth_required"
    assert "History import" in refreshed.last_error
    assert _count(Notification, Notification.type == "account_attention") >= 1
    with pytest.raises(ActionRefused, match="needs to be reconnected"):
        start_import(refreshed)


def test_a_second_start_while_running_is_refused_politely(account):
    _run_started(account)
    with pytest.raises(ActionRefused, match="already being imported"):
        start_import(db.session.get(InstagramAccount, account.id))
    assert _state(account).run == 1


def test_a_job_of_an_older_run_does_nothing(account, history):
    start_import(account)
    calls = len(history.calls)
    history_import.import_history_page(account.id, 0)
    assert len(history.calls) == calls


@pytest.mark.parametrize("days", [0, 366, -3])
def test_the_window_must_be_between_one_day_and_a_year(account, days):
    with pytest.raises(ActionRefused, match="between 1 and 365"):
        start_import(account, days)


def test_a_shorter_window_imports_less(account, history):
    start_import(account, days=5)
    state = _state(account)
    assert (state.status, state.done, state.days) == ("done", 1, 5)
    assert set(db.session.scalars(select(Message.mid))) == {"m1b", "m1c", "m1d"}
