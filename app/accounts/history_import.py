"""History import: the last N days (default 30) of an account's DM conversations, read through
the Conversations API and stored as if their webhooks had arrived, quietly.

How a run goes (docs/architecture.md#history-import):

- `start_import` (on connect, the /accounts button, `flask accounts import`) opens a new *run* on
  the account's `AccountImport` row and queues `import_history_page`; a second start while one
  runs is refused with a sentence, a start after `done` imports again (idempotently), a start
  after `failed` continues from the stored cursor.
- `import_history_page` is one job per page of conversations (newest first): it takes the row's
  lease, reads the page at the stored cursor, then each conversation's messages (newest first,
  paged) until one is older than the window, and applies them through `apply_events(...,
  history=True)`, the webhook path with the same `(account, mid)` key, so a webhook arriving
  meanwhile and a second import never duplicate a message. Each conversation is committed with
  the progress (`done`, the position on the page), so a crash loses at most the one in hand;
  the page's last conversation queues the next page's job, or ends the run.
- Every call to Meta takes a slot first (app.accounts.history_pacing: under ~2 calls/s per account
  across all workers). A rate limit or a hiccup pushes the slot back and queues the same page
  again later; a dead token marks the account `reauth_required` (app.accounts.lifecycle) and
  fails the run with the reason; any other refusal fails it with Meta's reason.
- `resume_stalled_imports` (the clock, every 5 minutes) queues again a run whose job vanished (a
  worker killed, a redeploy, a lost enqueue): it continues from the stored cursor, not from zero.

`done` counts conversations imported, `total` those found in the window so far: it grows page by
page, and is exact once the last page has been read.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app.accounts.history_messages import created_at, parse_history
from app.accounts.history_pacing import hold_off, pace
from app.accounts.lifecycle import can_call_meta, failure_reason, mark_reauth_required, token_invalid_reason
from app.errors import ActionRefused
from app.extensions import db
from app.inserts import insert_rows
from app.instagram.client import account_token, graph_client
from app.instagram.errors import GraphError, RateLimitedError, TokenInvalidError
from app.jobs import QUEUE_LOW, enqueue
from app.models import AccountImport, InstagramAccount, utcnow
from app.token_crypto import TokenDecryptError

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 365
PAGE_SIZE = 25  # conversations per page, so per job
MAX_MESSAGE_PAGES = 40  # per conversation: a runaway paging can never hold a job forever
LEASE = timedelta(minutes=10)  # a page job renews it after every conversation
STALL_AFTER = timedelta(minutes=10)  # no progress for this long and no lease: the job was lost
# Seconds before trying the same page again after a rate limit or a hiccup, per failure in a row;
# past the last one the run fails (a person can retry it from /accounts).
RETRY_DELAYS = (30, 60, 120, 300, 600, 600)
JOB_TIMEOUT = 1800  # a page: 25 conversations, a few calls each, at 0.6 s a call


# --------------------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class ImportProgress:
    """An account's import as /accounts and the API show it."""

    status: str  # idle | running | done | failed
    done: int = 0
    total: int = 0
    days: int = DEFAULT_DAYS
    last_error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "done": self.done, "total": self.total}


IDLE = ImportProgress("idle")


def _progress(state: AccountImport | None) -> ImportProgress:
    if state is None:
        return IDLE
    return ImportProgress(state.status, state.done, state.total, state.days, state.last_error,
                          state.started_at, state.finished_at)


def progress_of(account_id: int) -> ImportProgress:
    return _progress(db.session.scalar(select(AccountImport).where(AccountImport.account_id == account_id)))


def progress_for(account_ids: list[int]) -> dict[int, ImportProgress]:
    """Several accounts' imports in one query (the Accounts page, the API's list)."""
    if not account_ids:
        return {}
    rows = db.session.scalars(select(AccountImport).where(AccountImport.account_id.in_(account_ids))).all()
    found = {row.account_id: _progress(row) for row in rows}
    return {account_id: found.get(account_id, IDLE) for account_id in account_ids}


# --------------------------------------------------------------------------- starting


def parse_days(raw: Any) -> int:
    """The window a person asked for, in days; ActionRefused (field `days`) with the rule otherwise."""
    if raw in (None, ""):
        return DEFAULT_DAYS
    try:
        days = int(str(raw).strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise ActionRefused("days", f"Choose between 1 and {MAX_DAYS} days of history to import.")
    return days


def start_import(account: InstagramAccount, days: int = DEFAULT_DAYS) -> AccountImport:
    """Start (or continue, after a failure) importing the account's last `days` of history and
    queue the first page's job. Commits. Raises ActionRefused with a sentence when it cannot
    start: an account that needs reconnecting, or an import of it already running."""
    if not 1 <= days <= MAX_DAYS:
        raise ActionRefused("days", f"Choose between 1 and {MAX_DAYS} days of history to import.")
    name = f"@{account.username or account.ig_user_id}"
    if not can_call_meta(account):
        raise ActionRefused("account", f"{name} needs to be reconnected before its history can be imported.")
    now = utcnow()
    insert_rows(AccountImport, [{"account_id": account.id, "updated_at": now}], ["account_id"])
    state = db.session.scalar(select(AccountImport).where(AccountImport.account_id == account.id).with_for_update())
    if state.status == "running":
        db.session.rollback()
        found = f"{state.done} of {state.total} conversations so far" if state.total else "just started"
        raise ActionRefused("import", f"The history of {name} is already being imported ({found}); "
                                      "it carries on by itself.")
    resume = state.status == "failed" and state.days == days and state.since is not None
    if not resume:
        # A new window from now. Done or never run: from the first page (what is stored already is
        # skipped by its key, so importing again duplicates nothing).
        state.since = now - timedelta(days=days)
        state.cursor, state.page_position, state.done, state.total = None, 0, 0, 0
        state.started_at = now
    state.days = days
    state.status = "running"
    state.run += 1
    state.attempts = 0
    state.lease_until = None
    state.last_error = None
    state.finished_at = None
    run = state.run
    db.session.commit()
    _queue_page(account.id, run)
    log.info("history import of account %s: run %s %s (%s days)", account.id, run,
             "resumed" if resume else "started", days)
    return state


def _queue_page(account_id: int, run: int, delay: float = 0) -> None:
    enqueue(import_history_page, account_id, run, queue=QUEUE_LOW, timeout=JOB_TIMEOUT, delay=delay)


# --------------------------------------------------------------------------- the page job


class _Stop(Exception):
    """The run ended (failed, or taken over by a newer run) while the job was walking."""


def import_history_page(account_id: int, run: int) -> None:
    """The job: import one page of conversations of this run, then queue the next page's job.
    Idempotent: it continues from the stored cursor and position, and every write is keyed."""
    state = _claim(account_id, run)
    if state is None:
        return  # an older run's job, a finished run, or another job is walking it now
    account = db.session.get(InstagramAccount, account_id)
    try:
        _walk_page(state, account)
    except _Stop:
        db.session.rollback()
    except GraphError as exc:
        _after_graph_error(account_id, run, exc)
    except Exception:
        db.session.rollback()
        _release(account_id, run, "An internal error interrupted the import; it resumes by itself within minutes.")
        raise


def _claim(account_id: int, run: int) -> AccountImport | None:
    """Take the run's lease, so one job at a time walks it; None when this job has nothing to do."""
    now = utcnow()
    claimed = db.session.execute(
        update(AccountImport)
        .where(AccountImport.account_id == account_id, AccountImport.run == run, AccountImport.status == "running",
               or_(AccountImport.lease_until.is_(None), AccountImport.lease_until < now))
        .values(lease_until=now + LEASE, updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    return db.session.scalar(select(AccountImport).where(AccountImport.account_id == account_id))


def _walk_page(state: AccountImport, account: InstagramAccount) -> None:
    token = _token(state, account)
    client = graph_client()
    pace(state.id)
    conversations, after = client.list_conversations(token, account.ig_user_id, after=state.cursor, limit=PAGE_SIZE)
    in_window, reached_end = _in_window(conversations, state.since)
    # The page's conversations count once: a resumed page adds only what it had not counted.
    state.total = max(state.total, state.done - state.page_position + len(in_window))
    db.session.commit()
    for conversation in in_window[state.page_position:]:
        _import_conversation(state, account, token, client, conversation)
    if reached_end or after is None:
        state.status = "done"
        state.finished_at = utcnow()
        state.total = state.done
        state.lease_until = None
        db.session.commit()
        log.info("history import of account %s done: %s conversations", account.id, state.done)
        return
    state.cursor, state.page_position = after, 0
    state.lease_until = None
    run = state.run
    db.session.commit()
    _queue_page(account.id, run)


def _token(state: AccountImport, account: InstagramAccount) -> str:
    name = f"@{account.username or account.ig_user_id}"
    if not can_call_meta(account):
        raise _fail(state, f"{name} is not connected any more; reconnect it, then retry the import.")
    try:
        return account_token(account)
    except TokenDecryptError:
        reason = ("The stored access token cannot be decrypted with TOKEN_ENCRYPTION_KEYS; "
                  "restore the old key or reconnect the account.")
        mark_reauth_required(account.id, reason)
        raise _fail(state, reason) from None


def _in_window(conversations: list[dict[str, Any]], since: datetime) -> tuple[list[dict[str, Any]], bool]:
    """The page's conversations updated inside the window, and whether the walk ends here: Meta
    lists them by their last update, newest first, so the first older one ends it."""
    kept = []
    for conversation in conversations:
        updated = created_at({"created_time": conversation.get("updated_time")})
        if updated is not None and updated < since:
            return kept, True
        kept.append(conversation)
    return kept, False


def _import_conversation(state: AccountImport, account: InstagramAccount, token: str, client,
                         conversation: dict[str, Any]) -> None:
    # Imported here: app.accounts is loaded by the outbound code that ingestion itself imports.
    from app.webhooks.apply import apply_events
    from app.webhooks.followups import after_apply

    conversation_id = conversation.get("id")
    messages: list[dict[str, Any]] = []
    if isinstance(conversation_id, str) and conversation_id:
        after = None
        for _ in range(MAX_MESSAGE_PAGES):
            pace(state.id)
            page, after = client.conversation_messages(token, conversation_id, after)
            recent = [m for m in page if (created_at(m) or state.since) >= state.since]
            messages.extend(recent)
            if after is None or len(recent) < len(page):
                break  # newest first: a message older than the window ends this conversation
    parsed, unreadable = parse_history(account.ig_user_id, messages, utcnow())
    result = apply_events(parsed, history=True)
    if unreadable or result.problems:
        log.warning("history import of account %s: %s message(s) unreadable, %s refused: %s", account.id,
                    unreadable, len(result.problems), "; ".join(result.problems[:3]))
    state.done += 1
    state.page_position += 1
    state.attempts = 0
    state.last_error = None
    state.lease_until = utcnow() + LEASE
    db.session.commit()
    after_apply(result)  # new customers' profiles, by the profile job (history queues no automation)


def _fail(state: AccountImport, reason: str) -> _Stop:
    """End the run as failed with the reason (committed); returns the _Stop for the caller to raise."""
    state.status = "failed"
    state.last_error = reason[:500]
    state.lease_until = None
    state.finished_at = utcnow()
    db.session.commit()
    log.warning("history import of account %s failed: %s", state.account_id, reason)
    return _Stop()


def _current(account_id: int, run: int) -> AccountImport | None:
    state = db.session.scalar(select(AccountImport).where(AccountImport.account_id == account_id))
    return state if state is not None and state.run == run and state.status == "running" else None


def _after_graph_error(account_id: int, run: int, exc: GraphError) -> None:
    db.session.rollback()
    state = _current(account_id, run)
    if state is None:
        return
    if isinstance(exc, TokenInvalidError):
        mark_reauth_required(account_id, token_invalid_reason("History import", exc))
        _fail(state, "Instagram no longer accepts this account's access token: reconnect it, then retry the import.")
        return
    if not exc.retryable or state.attempts >= len(RETRY_DELAYS):
        _fail(state, f"History import stopped. {failure_reason(exc)}")
        return
    delay = max(float(exc.retry_after or 0), float(RETRY_DELAYS[state.attempts]))
    state.attempts += 1
    hold_off(state.id, delay)  # every worker waits, not only this one
    why = "asked to slow down" if isinstance(exc, RateLimitedError) else "could not be reached"
    state.last_error = f"Instagram {why}; the import continues by itself in {_duration(delay)}."
    state.lease_until = None
    db.session.commit()
    log.info("history import of account %s: %s, page again in %.0f s", account_id, type(exc).__name__, delay)
    _queue_page(account_id, run, delay=delay)


def _duration(seconds: float) -> str:
    return f"{int(seconds)} seconds" if seconds < 90 else f"{round(seconds / 60)} minutes"


def _release(account_id: int, run: int, reason: str) -> None:
    state = _current(account_id, run)
    if state is not None:
        state.attempts += 1
        state.last_error = reason
        state.lease_until = None
        db.session.commit()


# --------------------------------------------------------------------------- the clock's sweep


def resume_stalled_imports(now: datetime | None = None) -> int:
    """Every 5 minutes (app.jobs.schedule): queue again every running import whose job was lost (a
    killed worker, a redeploy, Redis down at enqueue): no lease and no progress for STALL_AFTER.
    It continues from the stored cursor. One that keeps stalling fails, with the reason. Returns
    how many were queued."""
    now = now or utcnow()
    stalled = db.session.scalars(
        select(AccountImport).where(
            AccountImport.status == "running", AccountImport.updated_at < now - STALL_AFTER,
            or_(AccountImport.lease_until.is_(None), AccountImport.lease_until < now))
        .order_by(AccountImport.id)
    ).all()
    queued = []
    for state in stalled:
        if state.attempts >= len(RETRY_DELAYS):
            state.status = "failed"
            state.finished_at = now
            state.last_error = state.last_error or "The import stopped making progress."
            continue
        state.attempts += 1
        state.lease_until = None
        state.updated_at = now
        queued.append((state.account_id, state.run))
    db.session.commit()
    for account_id, run in queued:
        _queue_page(account_id, run)
    if stalled:
        log.info("history imports resumed: %s, failed: %s", len(queued), len(stalled) - len(queued))
    return len(queued)
