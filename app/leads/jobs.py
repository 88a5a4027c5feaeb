"""The pipeline's jobs: the clock's minute-by-minute follow-up reminder.

`notify_due_follow_ups` tells the person who follows a lead up (app.leads.follow_ups.follower_id:
the owner, else the conversation's assignee) with one `follow_up_due` notification when the lead's
follow-up time has come. Once: the statement that claims the due leads sets
`follow_up_notified_at` only where it is still empty and says which rows it changed (UPDATE ...
RETURNING; on PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED, so two clocks at
once split the work instead of waiting for, then repeating, each other), and the notifications are
written in that same transaction (app.notifications.create.notify): a crash before the commit takes both back, and the next run
tries again. A new follow-up time clears the mark (app.leads.actions.update_lead)."""
from __future__ import annotations

from sqlalchemy import select, update

from app.extensions import db
from app.models import Contact, Conversation, Lead, utcnow
from app.notifications.create import notify

BATCH = 200


def _claim_due(now, batch: int):
    due = (select(Lead.id)
           .where(Lead.next_follow_up_at <= now, Lead.follow_up_notified_at.is_(None))
           .order_by(Lead.next_follow_up_at, Lead.id).limit(batch)
           .with_for_update(skip_locked=True))  # SQLite has no row locks and no such clause: it is left out there
    return db.session.execute(
        update(Lead)
        .where(Lead.id.in_(due.scalar_subquery()), Lead.follow_up_notified_at.is_(None))
        .values(follow_up_notified_at=now)
        .returning(Lead.id, Lead.workspace_id, Lead.owner_id, Lead.conversation_id, Lead.contact_id,
                   Lead.follow_up_note),
        execution_options={"synchronize_session": False},
    ).all()


def _text(name: str, note: str | None) -> str:
    return f"Follow up with {name}: {note}" if note else f"Follow up with {name}"


def notify_due_follow_ups(now=None, batch: int = BATCH) -> int:
    """Remind people of the follow-ups that have come due; returns how many leads were claimed."""
    now = now or utcnow()
    total = 0
    while True:
        claimed = _claim_due(now, batch)
        if not claimed:
            db.session.commit()
            return total
        conversation_ids = {row.conversation_id for row in claimed if row.conversation_id}
        assignees = dict(db.session.execute(
            select(Conversation.id, Conversation.assignee_id).where(Conversation.id.in_(conversation_ids))).all()
        ) if conversation_ids else {}
        names = {contact.id: contact.display_name for contact in db.session.scalars(
            select(Contact).where(Contact.id.in_({row.contact_id for row in claimed})))}
        for row in claimed:
            follower = row.owner_id if row.owner_id is not None else assignees.get(row.conversation_id)
            if follower is None:
                continue  # nobody to tell: it stays on the workspace's due list
            notify(row.workspace_id, "follow_up_due", [follower], lead_id=row.id, conversation_id=row.conversation_id,
                   text_=_text(names.get(row.contact_id, "a customer"), row.follow_up_note))
        db.session.commit()
        total += len(claimed)
        if len(claimed) < batch:
            return total
