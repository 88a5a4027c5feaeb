"""Every keyset-paged list walked page by page, with many rows sharing a sort key (the same
moment): each row comes exactly once, in the list's order. The cursors are row-value comparisons
(`(a, b) < (:a, :b)`, app.pagination) that PostgreSQL seeks to (bench/bench_pages.py checks the
plans); these tests hold them to the rows on SQLite and, with DATABASE_URL, on PostgreSQL."""
from datetime import timedelta

import pytest
from flask_login import login_user

from app.extensions import db
from app.inbox.queries import ConversationFilters, conversation_page, message_page
from app.leads.queries import LeadFilters, lead_page
from app.models import AuditEntry, WebhookEvent, utcnow
from app.settings.audit_log import audit_page
from app.webhooks.log_page import workspace_deliveries


@pytest.fixture
def as_user(app, factory):
    user = factory.user()
    ctx = app.test_request_context()
    ctx.push()
    login_user(user)
    yield user
    ctx.pop()


def walk(page, limit=3):
    """Every row `page(cursor, limit)` gives, following its cursors to the end."""
    seen, cursor = [], None
    while True:
        rows, cursor = page(cursor, limit)
        seen.extend(rows)
        if cursor is None:
            return seen


def test_conversations_newest_first(factory, as_user):
    account = factory.account(as_user.workspace)
    base = utcnow()
    made = [factory.conversation(account, last_message_at=base - timedelta(minutes=i % 3)) for i in range(14)]
    seen = walk(lambda cursor, limit: conversation_page(ConversationFilters(), as_user, cursor, limit))
    assert [c.id for c in seen] == [c.id for c in sorted(made, key=lambda c: (c.last_message_at, c.id), reverse=True)]


def test_conversations_longest_waiting_first(factory, as_user):
    account = factory.account(as_user.workspace)
    base = utcnow() - timedelta(hours=1)
    made = [factory.conversation(account, waiting_since=base + timedelta(minutes=i % 3)) for i in range(14)]
    seen = walk(lambda cursor, limit: conversation_page(ConversationFilters(sort="waiting"), as_user, cursor, limit))
    assert [c.id for c in seen] == [c.id for c in sorted(made, key=lambda c: (c.waiting_since, c.id))]


def test_messages_newest_page_first(factory, as_user):
    conversation = factory.conversation(factory.account(as_user.workspace))
    base = utcnow()
    made = [factory.message(conversation, text=f"m{i}", created_at=base + timedelta(seconds=i // 4)) for i in range(15)]
    pages, cursor = [], None
    while True:
        rows, cursor = message_page(conversation, cursor, 4)
        pages.append(rows)
        if cursor is None:
            break
    # Each page oldest first; pages newest first: reading them backwards is the thread.
    assert [m.id for page in reversed(pages) for m in page] == [m.id for m in made]


def test_leads_newest_first(factory, as_user):
    account = factory.account(as_user.workspace)
    base = utcnow()
    made = [factory.lead(factory.conversation(account), created_at=base - timedelta(minutes=i % 2)) for i in range(11)]
    seen = walk(lambda cursor, limit: lead_page(LeadFilters(), as_user, cursor, limit))
    assert [lead.id for lead in seen] == [lead.id for lead in sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)]


def test_audit_log_newest_first(factory, as_user):
    moment = utcnow()
    made = []
    for i in range(10):
        entry = AuditEntry(workspace_id=as_user.workspace_id, actor_name="x", action="team.invite",
                           summary=f"entry {i}", created_at=moment - timedelta(seconds=i % 2))
        db.session.add(entry)
        made.append(entry)
    db.session.add(AuditEntry(workspace_id=factory.workspace().id, actor_name="y", action="team.invite",
                              summary="another workspace's", created_at=moment))
    db.session.commit()
    seen = walk(lambda cursor, limit: audit_page({"group": "", "actor": None}, cursor, limit))
    assert [e.id for e in seen] == [e.id for e in sorted(made, key=lambda e: (e.created_at, e.id), reverse=True)]


def test_webhook_log_newest_first(factory, as_user):
    workspace_id = as_user.workspace_id
    made = []
    for i in range(8):
        row = WebhookEvent(body=b"{}", workspace_id=workspace_id, status="applied", received_at=utcnow())
        db.session.add(row)
        made.append(row)
    db.session.add(WebhookEvent(body=b"{}", workspace_id=factory.workspace().id, status="applied"))
    db.session.commit()
    seen = walk(lambda before, limit: workspace_deliveries(workspace_id, before=before, limit=limit))
    assert [r.id for r in seen] == sorted((r.id for r in made), reverse=True)
