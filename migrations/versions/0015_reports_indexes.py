"""reports: the indexes the manager's figures read (app.reports.figures): a workspace's new
conversations by time, its accounts' messages by time, and each conversation's first customer
message and first person's answer (partial indexes)

Revision ID: 0015
Revises: 0014

No data changes. On PostgreSQL ix_messages_reports carries the columns the figures test (direction,
source, status, kind, sender, conversation) so a month of messages is counted from the index alone.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

MESSAGE_COLUMNS = ['direction', 'source', 'status', 'kind', 'sent_by_id', 'conversation_id']
FIRST_CUSTOMER = "direction = 'in' AND kind <> 'referral'"
FIRST_ANSWER = "direction = 'out' AND source <> 'automation' AND status <> 'failed'"


def upgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_reports', ['workspace_id', 'created_at'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_reports', ['account_id', 'created_at'], unique=False,
                              postgresql_include=MESSAGE_COLUMNS)
        batch_op.create_index('ix_messages_first_customer', ['conversation_id', 'created_at'], unique=False,
                              postgresql_where=sa.text(FIRST_CUSTOMER), sqlite_where=sa.text(FIRST_CUSTOMER))
        batch_op.create_index('ix_messages_first_answer', ['conversation_id', 'created_at'], unique=False,
                              postgresql_where=sa.text(FIRST_ANSWER), sqlite_where=sa.text(FIRST_ANSWER))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_first_answer', postgresql_where=sa.text(FIRST_ANSWER),
                            sqlite_where=sa.text(FIRST_ANSWER))
        batch_op.drop_index('ix_messages_first_customer', postgresql_where=sa.text(FIRST_CUSTOMER),
                            sqlite_where=sa.text(FIRST_CUSTOMER))
        batch_op.drop_index('ix_messages_reports', postgresql_include=MESSAGE_COLUMNS)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_reports')
