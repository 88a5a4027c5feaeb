"""The demo's saved replies (`flask demo`): the workspace's everyday answers, one with the price
list as a PDF the composer would accept, and one of Sam's own; a second run adds nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.demo.saved_replies import seed_saved_replies
from app.extensions import db
from app.models import AuditEntry, SavedReply
from app.outbound.attachments import check_attachment
from app.saved_replies.variables import unknown_variables


def test_demo_saved_replies_once(app, factory):
    ws = factory.workspace("Demo Shop")
    admin = factory.user(ws, role="admin")
    agent = factory.user(ws, role="agent", name="Sam Rivera")
    for _ in range(2):
        seed_saved_replies(ws, admin, agent)
    rows = db.session.scalars(select(SavedReply).order_by(SavedReply.id)).all()
    assert [(r.shortcut, r.scope) for r in rows] == [
        ("prices", "workspace"), ("shipping", "workspace"), ("sizes", "workspace"), ("hours", "workspace"),
        ("returns", "workspace"), ("thanks", "personal")]
    assert rows[-1].owner_id == agent.id
    assert "{first_name}" in rows[2].text
    assert all(not unknown_variables(r.text) and r.usage_count > 0 and r.last_used_at for r in rows)
    prices = rows[0]
    checked = check_attachment(prices.attachment_data, prices.attachment_name)
    assert (checked.kind.content_type, checked.filename) == (prices.attachment_type, "price-list.pdf")
    assert prices.attachment_data.rstrip().endswith(b"%%EOF")
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "saved_reply.created")).all()) == 5
