"""webhooks: warnings apart from failures on the log, and the delivery that parked each waiting event

`failed` now means "could not be applied": deliveries stored `failed` by earlier versions although
some of their events were applied ("applied N event(s); could not use: ..." with N > 0) become
`applied` with that text as their warnings, as do the notes kept in `error` on applied rows.

Revision ID: webhooks_0005
Revises: security_0004
"""
from alembic import op
import sqlalchemy as sa


revision = "webhooks_0005"
down_revision = "security_0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.Text(), nullable=True))
    with op.batch_alter_table("deferred_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_event_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE webhook_events SET status = 'applied', warnings = error, error = NULL "
        "WHERE status = 'failed' AND error LIKE 'applied %' AND error NOT LIKE 'applied 0 %'"
    )
    op.execute(
        "UPDATE webhook_events SET warnings = error, error = NULL WHERE status = 'applied' AND error IS NOT NULL"
    )


def downgrade():
    op.execute(
        "UPDATE webhook_events SET error = warnings WHERE status = 'applied' AND warnings IS NOT NULL"
    )
    with op.batch_alter_table("deferred_events", schema=None) as batch_op:
        batch_op.drop_column("webhook_event_id")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("warnings")
