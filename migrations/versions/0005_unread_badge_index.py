"""perf: a partial index on unread conversations, for the unread badge

Revision ID: perf_0003
Revises: automation_0002
"""
from alembic import op
import sqlalchemy as sa


revision = "perf_0003"
down_revision = "automation_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_unread", ["workspace_id"], unique=False,
                              postgresql_where=sa.text("unread_count > 0"), sqlite_where=sa.text("unread_count > 0"))


def downgrade():
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_unread", postgresql_where=sa.text("unread_count > 0"),
                            sqlite_where=sa.text("unread_count > 0"))
