"""Ingestion: how a signed delivery becomes rows and follow-up jobs.

`app.webhooks.routes.receive` reads the body and checks its signature on the raw bytes, then hands
the bytes to `ingest_delivery`, which:

1. decodes them (`decode_body`: JSON, strings cleaned for storage); a body that is not JSON is
   stored `rejected` and goes no further;
2. parses the delivery into typed events (`app.instagram.events.parse_delivery`, pure);
3. applies the events in the open transaction (`app.webhooks.apply.apply_events`: contacts,
   conversations, messages, leads, counters; idempotent by unique keys);
4. inserts the raw delivery's row with the outcome (`_status_of`) and commits, once, before Meta
   gets its 200: nothing Meta was told we accepted can be lost, and if the database goes away
   mid-way nothing was written and Meta delivers again. (The raw bytes go in with the rows rather
   than in a transaction of their own first, which would take a second commit and an UPDATE per
   delivery: bench/bench_ingest.py.) If applying raises, the apply is rolled back and the row is
   stored `failed` with the error;
5. queues the follow-ups after that commit, so the jobs find the rows (`app.webhooks.followups.after_apply`:
   profile lookups, automation). A Redis outage is logged and never fails the delivery; the sweep
   (`app.webhooks.jobs.sweep_ingest`) queues the lost profile lookups and automation runs again
   (the latter by the mark each message row carries from its INSERT: app.jobs.owed).

`replay` runs steps 1 to 5 again on a stored row and records the outcome on it: the log page's
button, `flask webhooks replay`, and the sweep for rows still `received`. What was applied
before stays as it is.

A row's status says how applying went:

- `received`  stored, not applied yet (rows written before this flow, or by hand: the sweep applies them);
- `applied`   its events are in the inbox; `warnings` says what was skipped (a malformed item, one
              for an account not connected here), worked around (an unusable time) or, later, what
              it parked that expired (a reaction whose message never arrived: `note_expired`);
- `ignored`   nothing in it was for a connected account, or nothing the inbox handles;
- `failed`    it could not be applied, and only that: applying raised, or nothing in it was usable
              (a malformed body or envelope, every item malformed). `error` says why; replayable after a fix;
- `rejected`  signed but not JSON: kept for audit, there is nothing to apply.

Which workspace may see a row on the log page (`app.webhooks.log_page`): `workspace_id` is set only
when every entry of the delivery belongs to an account of that one workspace (whether or not anything
in it could be applied: a `changes` delivery for a connected account is on that account's workspace's
log). Deliveries for unknown accounts (the App Dashboard's test button, an account connected elsewhere)
or mixing several workspaces' accounts carry raw messages that no single workspace may read in full;
they are visible to operators through `flask webhooks replay` and the database only.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from app.extensions import db
from app.inserts import insert_rows
from app.instagram.events import parse_delivery
from app.instagram.redaction import redact
from app.models import DeferredEvent, InstagramAccount, WebhookEvent, utcnow
from app.webhooks import followups
from app.webhooks.apply import ApplyResult, apply_events

log = logging.getLogger(__name__)

ERROR_MAX = 4000
IDS_MAX = 255  # WebhookEvent.ig_account_ids


@dataclass
class Outcome:
    """How applying a stored delivery went."""

    event_id: int
    status: str
    error: str | None = None
    result: ApplyResult = field(default_factory=ApplyResult)
    warnings: str | None = None


def ingest_delivery(body: bytes, received_at: datetime | None = None) -> Outcome:
    """Store a signed delivery and apply it, in one transaction with one commit, then queue its
    follow-ups (steps 1 to 5 of the module docstring).

    Its row is inserted with the outcome, after the apply. If applying raises, the apply is
    rolled back and the row is stored `failed` with the error. If the database goes away, the
    error is raised: nothing was stored, nothing is half-applied, the request answers 503 and Meta
    delivers again. A body that is not JSON is stored `rejected`."""
    received_at = received_at or utcnow()
    try:
        payload = decode_body(body)
    except BodyNotJSON as exc:
        event_id = _store(body, received_at, status="rejected", error=str(exc), attempts=0, event_count=0)
        db.session.commit()
        return Outcome(event_id, "rejected", str(exc))
    return _apply_and_record(payload, received_at, lambda **values: _store(body, received_at, attempts=1, **values))


def replay(event_id: int) -> Outcome | None:
    """Apply a stored delivery again and record the outcome on its row, by the same rules as
    `ingest_delivery` (idempotent: what was applied before stays as it is); None if there is no such row."""
    row = db.session.execute(
        select(WebhookEvent.id, WebhookEvent.body, WebhookEvent.received_at).where(WebhookEvent.id == event_id)
    ).first()
    if row is None:
        return None
    try:
        payload = decode_body(row.body)
    except BodyNotJSON as exc:
        _finish(row.id, status="rejected", error=str(exc))
        db.session.commit()
        return Outcome(row.id, "rejected", str(exc))

    def record(**values: Any) -> int:
        _finish(row.id, **values)
        return row.id

    return _apply_and_record(payload, row.received_at, record)


def _apply_and_record(payload: Any, received_at: datetime, record: Callable[..., int]) -> Outcome:
    """Apply a decoded delivery, write its log row with `record(**columns)` (which returns the
    row's id), commit, then queue the follow-ups; see `ingest_delivery` for what happens on failure."""
    ids = entry_account_ids(payload)
    parsed = parse_delivery(payload, received_at=received_at)
    try:
        result = apply_events(parsed)
        status, error, warnings = _status_of(result)
        event_id = record(status=status, error=error, warnings=warnings, applied_at=utcnow(),
                          event_count=len(parsed.events), ig_account_ids=_ids_text(ids),
                          workspace_id=_workspace_of(ids, _known_workspaces(ids, result.account_workspaces)))
        if result.deferred_ids:
            db.session.execute(
                update(DeferredEvent).where(DeferredEvent.id.in_(result.deferred_ids))
                .values(webhook_event_id=event_id).execution_options(synchronize_session=False)
            )
        db.session.commit()
    except (OperationalError, InterfaceError):
        db.session.rollback()
        raise
    except Exception as exc:
        db.session.rollback()
        error = describe_error(exc)
        event_id = record(status="failed", error=error, warnings=None, event_count=len(parsed.events),
                          ig_account_ids=_ids_text(ids), workspace_id=_workspace_of(ids, _known_workspaces(ids, {})))
        db.session.commit()
        log.exception("webhook delivery %s could not be applied: %s", event_id, error)
        return Outcome(event_id, "failed", error)
    # Outside the try: the rows are committed, so nothing here may turn them into a `failed` row.
    followups.after_apply(result)
    return Outcome(event_id, status, error, result, warnings)


# ----------------------------------------------------------------------------- step 1: decoding


class BodyNotJSON(ValueError):
    """A signed body that does not decode as JSON (UTF-8, no NaN/Infinity)."""


def decode_body(body: bytes) -> Any:
    """The JSON value of a raw body, cleaned for storage; raises BodyNotJSON."""
    try:
        return clean_for_storage(json.loads(body.decode("utf-8"), parse_constant=_refuse_constant))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
        raise BodyNotJSON(f"body is not JSON ({reason})"[:500]) from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def clean_for_storage(value: Any) -> Any:
    """Strings as the database can store them: PostgreSQL text takes no NUL characters and
    UTF-8 has no lone surrogates (both are valid JSON escapes). Replaced, not dropped, so the
    customer's text stays recognisable; the raw bytes keep the original."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, list):
        return [clean_for_storage(item) for item in value]
    if isinstance(value, dict):
        return {clean_for_storage(key): clean_for_storage(item) for key, item in value.items()}
    return value


# -------------------------------------------------------------------------- step 4: the log row


def entry_account_ids(payload: Any) -> list[str]:
    """The `entry[].id`s of a delivery as given (strings), for the log row."""
    ids: list[str] = []
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        value = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) not in ids:
            ids.append(str(value))
    return ids


def _ids_text(ids: list[str]) -> str | None:
    text = ",".join(ids)
    return text[:IDS_MAX] if text else None


def _status_of(result: ApplyResult) -> tuple[str, str | None, str | None]:
    """(status, error, warnings) of an apply that did not raise. `failed` only when nothing could be
    applied and something was unusable; anything skipped beside applied events is a warning."""
    if result.problems and result.applied == 0:
        return "failed", _join(["could not use: " + "; ".join(result.problems)]), _join(result.notes + result.warnings)
    warnings = [f"skipped: {problem}" for problem in result.problems] + result.warnings
    if result.applied == 0:
        return "ignored", _join(result.notes) or "no events", _join(warnings)
    return "applied", None, _join(result.notes + warnings)


def _join(parts: list[str]) -> str | None:
    return "; ".join(parts)[:ERROR_MAX] or None


def _workspace_of(ids: list[str], account_workspaces: dict[str, int]) -> int | None:
    """The one workspace all entries belong to, else None (see the module docstring)."""
    workspaces = {account_workspaces.get(ig_id) for ig_id in ids}
    if len(workspaces) == 1 and None not in workspaces:
        return workspaces.pop()
    return None


def _known_workspaces(ids: list[str], known: dict[str, int]) -> dict[str, int]:
    """`known` (entry id -> workspace, what the apply looked up) completed for the entry ids it did
    not look up: those of a delivery nothing in which could be parsed or applied (a `changes` that
    is not a list, a wrong `object`...), or that raised. The usual delivery costs no query."""
    unknown = [ig_id for ig_id in ids if ig_id not in known]
    if not unknown:
        return known
    found = db.session.execute(
        select(InstagramAccount.ig_user_id, InstagramAccount.workspace_id).where(InstagramAccount.ig_user_id.in_(unknown))
    ).all()
    return {**known, **dict(found)}


def describe_error(exc: BaseException) -> str:
    """Class and message of a failure, for the log row: never a token, never megabytes of SQL."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        # The driver's first line; SQLAlchemy's own text would add the SQL and every parameter.
        name, lines = type(exc.orig).__name__, str(exc.orig).strip().splitlines()
        message = lines[0] if lines else ""
    else:
        name, message = type(exc).__name__, str(exc)
    text = f"{name}: {message}" if message else name
    return redact(text, (current_app.config.get("INSTAGRAM_APP_SECRET"),))[:ERROR_MAX]


def _store(body: bytes, received_at: datetime, **values: Any) -> int:
    return insert_rows(WebhookEvent, [dict(body=body, received_at=received_at, **values)], returning=("id",)).scalar_one()


def _finish(event_id: int, **values: Any) -> None:
    db.session.execute(
        update(WebhookEvent).where(WebhookEvent.id == event_id)
        .values(attempts=WebhookEvent.attempts + 1, **values).execution_options(synchronize_session=False)
    )


# -------------------------------------------------------------------- for replays and the sweep


def replayable_ids(statuses: tuple[str, ...], older_than: datetime | None = None, limit: int | None = None) -> list[int]:
    query = select(WebhookEvent.id).where(WebhookEvent.status.in_(statuses)).order_by(WebhookEvent.id)
    if older_than is not None:
        query = query.where(WebhookEvent.received_at < older_than)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def note_expired(expired: list[Any], now: datetime) -> int:
    """Note parked events that expired (rows with webhook_event_id, kind, mid, created_at) on the
    warnings of the deliveries that parked them; returns how many had no delivery to note them on
    (parked before deliveries were linked). The caller commits."""
    by_delivery: dict[int, list[str]] = {}
    unlinked = 0
    for row in expired:
        if row.webhook_event_id is None:
            unlinked += 1
            log.warning("parked %s for message %s expired; no delivery recorded for it", row.kind, row.mid)
            continue
        by_delivery.setdefault(row.webhook_event_id, []).append(
            f"parked {row.kind} for message {row.mid} expired on {now:%Y-%m-%d}: that message never arrived "
            f"(waited since {row.created_at:%Y-%m-%d %H:%M} UTC)")
    for event_id, notes in sorted(by_delivery.items()):
        added = "; ".join(notes)[:ERROR_MAX]
        current = db.session.scalar(select(WebhookEvent.warnings).where(WebhookEvent.id == event_id))
        if current:  # the newest note is the one that must not be cut off
            added = f"{current[:max(0, ERROR_MAX - len(added) - 2)]}; {added}"[-ERROR_MAX:]
        db.session.execute(
            update(WebhookEvent).where(WebhookEvent.id == event_id)
            .values(warnings=added).execution_options(synchronize_session=False)
        )
    return unlinked
