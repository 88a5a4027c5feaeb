"""webhook_events.workspace_id: which workspace's admins may see a raw delivery

Revision ID: ingest_0002
Revises: outbound_0002
"""
from alembic import op
import sqlalchemy as sa


revision = "ingest_0002"
down_revision = "outbound_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_webhook_events_workspace_id_workspaces"), "workspaces", ["workspace_id"], ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index("ix_webhook_events_workspace", ["workspace_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_workspace")
        batch_op.drop_constraint(batch_op.f("fk_webhook_events_workspace_id_workspaces"), type_="foreignkey")
        batch_op.drop_column("workspace_id")
