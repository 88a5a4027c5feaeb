"""jobs a message is owed survive a lost enqueue

Revision ID: 0030
Revises: 0029

A reaction, a comment hidden or shown, or one of our comments deleted while Redis was down showed
as done in the inbox and never reached Instagram, and a customer who wrote during the outage never
got the automation's answer: nothing marked the row as owed a job, so no sweep could find it.
`messages.state_sync_due_at` (app.outbound.state_sync) and `messages.automation_due_at`
(app.automation.jobs) are those marks (app.jobs.owed), each with a partial index for its sweep:
nearly every row has none.
"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

MARKS = {'state_sync_due_at': 'ix_messages_state_sync', 'automation_due_at': 'ix_messages_automation_due'}


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        for column, index in MARKS.items():
            owed = sa.text(f"{column} IS NOT NULL")
            batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
            batch_op.create_index(index, [column], unique=False, postgresql_where=owed, sqlite_where=owed)


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        for column, index in MARKS.items():
            owed = sa.text(f"{column} IS NOT NULL")
            batch_op.drop_index(index, postgresql_where=owed, sqlite_where=owed)
            batch_op.drop_column(column)
