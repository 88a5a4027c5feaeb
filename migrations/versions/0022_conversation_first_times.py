"""reports: store each conversation's first customer message and first person's answer on it

Revision ID: 0022
Revises: 0021

The reports' first response (and the 24 h window and resolution figures) probed two indexes per
conversation of the period to find these two times, most of a report's time at a million messages
(bench/bench_reports.py). They are now columns, kept by every writer of a message in its own
transaction (app.messages.first_times, which defines them). This migration fills them for the
conversations that exist, with the same SQL app.messages.first_times.refresh runs: one probe of
ix_messages_first_customer and one of ix_messages_first_answer per conversation.
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# A customer message and a person's answer as app.messages.first_times defines them (the predicates
# of ix_messages_first_customer and ix_messages_first_answer, migration 0021).
FIRST_IN = ("(SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = conversations.id "
            "AND m.direction = 'in' AND m.kind <> 'referral')")
BACKFILL = (
    f"UPDATE conversations SET first_customer_at = {FIRST_IN}, "
    "first_answer_at = (SELECT min(a.created_at) FROM messages a WHERE a.conversation_id = conversations.id "
    "AND a.direction = 'out' AND a.source <> 'automation' AND a.status <> 'failed' "
    f"AND a.created_at >= {FIRST_IN})"
)


def upgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_customer_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_answer_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('first_answer_at')
        batch_op.drop_column('first_customer_at')
