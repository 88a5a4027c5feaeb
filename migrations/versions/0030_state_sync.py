"""reactions and comment actions survive a lost enqueue

Revision ID: 0030
Revises: 0029

A reaction, a comment hidden or shown, or one of our comments deleted while Redis was down showed
as done in the inbox and never reached Instagram: nothing marked the row as owing Instagram a call,
so no sweep could find it. `messages.state_sync_due_at` is that mark (app.outbound.state_sync),
with a partial index for the sweep: nearly every row has none.
"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

PENDING = "state_sync_due_at IS NOT NULL"


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_sync_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_messages_state_sync', ['state_sync_due_at'], unique=False,
                              postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_state_sync', postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))
        batch_op.drop_column('state_sync_due_at')
