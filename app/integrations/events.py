"""Which outbound webhook events exist and what each carries: the one module that decides.

Every event is written as a WebhookDelivery row per subscribed, active endpoint, in the transaction
of the change it reports (the callers call these functions just before their commit), so an event
is never lost between the database and the queue and a rolled-back change sends nothing. The job
that sends them is queued after that commit (app.jobs.after_commit : enqueue_after_commit).

The body is fixed here, once: `{"id", "event", "created_at", "data"}`, where `data` is the lead,
conversation or message exactly as the JSON API serializes it (app.api.serializers), so a receiver
sees the shapes the OpenAPI document describes. A redelivery sends the same bytes and the same id.

Cost: one query for the workspace's endpoints per call (per ingestion delivery: `Subscriptions`
is kept on it), and when nobody subscribed nothing else happens; otherwise one multi-row INSERT."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.inserts import insert_rows
from app.jobs.after_commit import enqueue_after_commit
from app.models import Conversation, Lead, Message, WebhookDelivery, WebhookEndpoint, utcnow
from app.templating import iso

LEAD_CREATED = "lead.created"
LEAD_UPDATED = "lead.updated"
CONVERSATION_ASSIGNED = "conversation.assigned"
MESSAGE_CREATED = "message.created"
EVENTS = (LEAD_CREATED, LEAD_UPDATED, CONVERSATION_ASSIGNED, MESSAGE_CREATED)
# The Settings page's "Send test event": never subscribed to, sent to one endpoint on request.
TEST_EVENT = "ping"

INSERT_CHUNK = 500


class Subscriptions:
    """The active endpoints of some workspaces and their events, read once (one query) and then
    asked as often as needed: ingestion keeps one per delivery for its leads and messages."""

    def __init__(self, workspace_ids: Iterable[int], listened: bool | None = None) -> None:
        """`listened=False`: the caller's own query already found no active endpoint for any of these
        workspaces (`listened_sql`), so there is nothing to read."""
        self._workspace_ids = sorted(set(workspace_ids))
        self._endpoints: dict[int, list[tuple[int, frozenset[str]]]] | None = None if listened is not False else {}

    def endpoints(self, workspace_id: int, event: str) -> list[int]:
        if self._endpoints is None:
            self._endpoints = {}
            if self._workspace_ids:
                rows = db.session.execute(
                    select(WebhookEndpoint.id, WebhookEndpoint.workspace_id, WebhookEndpoint.events)
                    .where(WebhookEndpoint.workspace_id.in_(self._workspace_ids), WebhookEndpoint.active.is_(True))
                    .order_by(WebhookEndpoint.id))
                for endpoint_id, ws, events in rows:
                    self._endpoints.setdefault(ws, []).append((endpoint_id, frozenset(events or ())))
        return [endpoint_id for endpoint_id, events in self._endpoints.get(workspace_id, ()) if event in events]

    def any(self, event: str) -> bool:
        return any(self.endpoints(ws, event) for ws in self._workspace_ids)


def listened_sql(workspace_id):
    """SQL: the workspace (`workspace_id`, a column of the caller's query) has an active endpoint.
    Ingestion asks it in its account lookup: most workspaces have none, and then a delivery needs
    no query of `Subscriptions` (the same rule as its `endpoints`, whatever the events)."""
    return select(WebhookEndpoint.__table__.c.id).where(
        WebhookEndpoint.__table__.c.workspace_id == workspace_id, WebhookEndpoint.__table__.c.active.is_(True)
    ).exists()


def body_for(event: str, data: dict, now: datetime) -> tuple[str, str]:
    """(event id, the exact JSON to send and sign) for one event to one endpoint."""
    event_id = str(uuid.uuid4())
    body = json.dumps({"id": event_id, "event": event, "created_at": iso(now), "data": data},
                      ensure_ascii=False, separators=(",", ":"))
    return event_id, body


def _write(event: str, endpoint_ids: Sequence[int], items: Sequence[dict], now: datetime) -> int:
    """One delivery per (endpoint, item), set-based; the job goes out after the commit."""
    rows = []
    for data in items:
        for endpoint_id in endpoint_ids:
            event_id, body = body_for(event, data, now)
            rows.append({"endpoint_id": endpoint_id, "event_id": event_id, "event": event, "body": body,
                         "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now})
    for start in range(0, len(rows), INSERT_CHUNK):
        insert_rows(WebhookDelivery, rows[start:start + INSERT_CHUNK])
    if rows:
        send_after_commit()
    return len(rows)


def _emit(event: str, workspace_id: int, objects: Sequence, serialize: Callable[[object], dict],
          subscriptions: Subscriptions | None = None) -> int:
    if not objects:
        return 0
    endpoint_ids = (subscriptions or Subscriptions([workspace_id])).endpoints(workspace_id, event)
    if not endpoint_ids:
        return 0  # nobody listens: nothing serialized, nothing written
    now = utcnow()
    return _write(event, endpoint_ids, [serialize(obj) for obj in objects], now)


# -- the serializers: the API's own shapes ------------------------------------------------------

def _lead(lead: Lead) -> dict:
    from app.api.serializers import lead_json

    return lead_json(lead)


def _conversation(conversation: Conversation) -> dict:
    from app.api.serializers import conversation_json

    # No token owner here: the count is the team's (what decides Instagram's "seen" receipt).
    return conversation_json(conversation, unread_count=conversation.unread_count or 0)


def _message(message: Message) -> dict:
    from app.api.serializers import message_json

    return message_json(message)


# -- the events, called by the code that makes them, before its commit --------------------------

def lead_updated(lead: Lead) -> int:
    """app.leads.actions.update_lead, once its changes are applied (flushed: `updated_at` is new)."""
    return _emit(LEAD_UPDATED, lead.workspace_id, [lead], _lead)


def leads_updated(workspace_id: int, leads: Sequence[Lead], subscriptions: Subscriptions | None = None) -> int:
    """app.leads.ownership: leads given their conversation's assignee as owner."""
    return _emit(LEAD_UPDATED, workspace_id, list(leads), _lead, subscriptions)


def conversations_assigned(conversations: Sequence[Conversation]) -> int:
    """app.inbox.actions.assign_all: the conversations whose assignee changed (one workspace)."""
    if not conversations:
        return 0
    db.session.flush()  # updated_at, as the API would show it after the change
    return _emit(CONVERSATION_ASSIGNED, conversations[0].workspace_id, list(conversations), _conversation)


def messages_created(messages: Sequence[Message], workspace_id: int) -> int:
    """app.outbound.replies.queue_reply: the pending replies it stored (flushed, so they have ids)."""
    return _emit(MESSAGE_CREATED, workspace_id, list(messages), _message)


def ingested(subscriptions: Subscriptions, *, lead_ids: dict[int, list[int]],
             message_ids: dict[int, list[int]]) -> int:
    """Ingestion's leads and messages (workspace -> new row ids). The caller asked
    `subscriptions.any(...)` first, so this loads rows only for workspaces someone listens to."""
    written = 0
    wanted_leads = {ws: ids for ws, ids in lead_ids.items() if ids and subscriptions.endpoints(ws, LEAD_CREATED)}
    if wanted_leads:
        loaded = {lead.id: lead for lead in db.session.scalars(
            select(Lead).options(selectinload(Lead.contact))
            .where(Lead.id.in_(sorted(i for ids in wanted_leads.values() for i in ids))))}
        for ws, ids in wanted_leads.items():
            written += _emit(LEAD_CREATED, ws, [loaded[i] for i in sorted(ids) if i in loaded], _lead, subscriptions)
    wanted_messages = {ws: ids for ws, ids in message_ids.items()
                       if ids and subscriptions.endpoints(ws, MESSAGE_CREATED)}
    if wanted_messages:
        loaded = {message.id: message for message in db.session.scalars(
            select(Message).where(Message.id.in_(sorted(i for ids in wanted_messages.values() for i in ids))))}
        for ws, ids in wanted_messages.items():
            written += _emit(MESSAGE_CREATED, ws, [loaded[i] for i in sorted(ids) if i in loaded], _message,
                             subscriptions)
    return written


def ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` to one endpoint (Settings → Integrations, "Send test event"); the caller commits."""
    now = utcnow()
    event_id, body = body_for(TEST_EVENT, {"endpoint_id": endpoint.id,
                                           "message": "A test event from the inbox: your endpoint is reachable."}, now)
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event_id, event=TEST_EVENT, body=body,
                               status="pending", attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(delivery)
    send_after_commit()
    return delivery


def send_after_commit() -> None:
    """Deliveries written in this transaction go out once it commits (never if it rolls back):
    `dispatch_webhooks` claims them; the clock's run of it is the fallback for a lost enqueue."""
    from app.integrations.jobs import dispatch_webhooks

    enqueue_after_commit(dispatch_webhooks)
