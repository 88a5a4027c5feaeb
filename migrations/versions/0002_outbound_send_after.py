"""outbound: when a pending send is due (messages.send_after) and the sweep's index

Revision ID: outbound_0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "outbound_0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_after", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_messages_outbox", ["status", "send_after"], unique=False)


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_outbox")
        batch_op.drop_column("send_after")
