"""leads: an index for the board's live poll

Revision ID: 0025
Revises: 0024

A lead moved by one person showed on a teammate's board only after a reload. The board now polls
for leads changed since what it has (app.leads.board_live), as the inbox does for conversations:
one range scan of this index when nothing changed, whatever the size of the pipeline.
"""
from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_changes', ['workspace_id', 'updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_changes')
