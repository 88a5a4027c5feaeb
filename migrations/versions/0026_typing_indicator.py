"""customers see "typing…" while someone writes them a reply

Revision ID: 0026
Revises: 0025

The team now sees who is typing in a conversation (0024); the customer can too: while a rep types
a reply (never a private note), Instagram is told `typing_on`, at most every 15 s per person and
conversation (the time of the last one is kept on the viewer's row), when the workspace allows it
(on by default, as read receipts are).
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('typing_indicator_enabled', sa.Boolean(), server_default=sa.text('true'),
                                      nullable=False))
    with op.batch_alter_table('conversation_viewers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('typing_told_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('conversation_viewers', schema=None) as batch_op:
        batch_op.drop_column('typing_told_at')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('typing_indicator_enabled')
