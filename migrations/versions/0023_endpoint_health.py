"""integrations: an endpoint remembers how its newest delivery attempt went

Revision ID: 0023
Revises: 0022

Settings → Integrations listed an endpoint whose every delivery failed (a CRM that moved, a
receiver that is down) as a green "active": its failures were visible only on its own page. Each
attempt now also writes its time and its error (None when it succeeded) on the endpoint
(app.integrations.sending._record), so the list says which endpoints fail without reading the
attempts table. Filled here from each endpoint's newest attempt.
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

NEWEST = ("(SELECT a.{column} FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id "
          "WHERE d.endpoint_id = webhook_endpoints.id ORDER BY a.started_at DESC, a.id DESC LIMIT 1)")


def upgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=300), nullable=True))
    op.execute(f"UPDATE webhook_endpoints SET last_attempt_at = {NEWEST.format(column='started_at')}, "
               f"last_error = {NEWEST.format(column='error')}")


def downgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('last_attempt_at')
