"""leads: an index on conversation_id

Revision ID: 0027
Revises: 0026

The leads list can now be filtered by a label, as the board can: leads whose conversation carries
it. For a label on few conversations PostgreSQL starts from those conversations and needs leads by
conversation_id (without this index it read every lead: 14 ms at 100k leads, 0.2 ms with it). It
also serves the conversation foreign key (ON DELETE SET NULL read the whole table per deleted
conversation) and history import's update of a lead's start date.
"""
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_conversation', ['conversation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_conversation')
