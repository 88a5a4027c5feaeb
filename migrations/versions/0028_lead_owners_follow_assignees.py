"""leads: owners follow their conversation's assignee, for the leads already there

Revision ID: 0028
Revises: 0027

A lead without an owner now takes its conversation's assignee when the conversation is assigned
(app.leads.ownership). Leads made before that, of conversations already assigned, would have
stayed nobody's (off their rep's "Mine" board) until an assignment changed again: they take their
conversation's assignee here, once. Leads with an owner are left as they are; nothing to undo on
downgrade (an owner is a valid value either way).
"""
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    # One statement, PostgreSQL and SQLite alike (each lead reads its conversation by primary key).
    op.execute("""
        UPDATE leads SET owner_id = (SELECT conversations.assignee_id FROM conversations
                                     WHERE conversations.id = leads.conversation_id)
        WHERE owner_id IS NULL AND conversation_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM conversations WHERE conversations.id = leads.conversation_id
                      AND conversations.assignee_id IS NOT NULL)
    """)


def downgrade():
    pass
