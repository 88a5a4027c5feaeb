"""reports: count a period's messages per day from two partial indexes, customer messages and persons'
answers, instead of one covering index of every message

Revision ID: 0021
Revises: 0020

app.reports.figures counts the period's messages with one index range per local day. The covering
ix_messages_reports held every message with six columns and the figures tested each row; the
partial indexes hold only the rows counted (the predicates of ix_messages_first_customer and
ix_messages_first_answer), so a year of a busy account is read about three times faster
(bench/bench_reports.py), and automated replies and failed sends no longer cost an index entry.
No data changes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

FIRST_CUSTOMER = "direction = 'in' AND kind <> 'referral'"
FIRST_ANSWER = "direction = 'out' AND source <> 'automation' AND status <> 'failed'"
OLD_COLUMNS = ['direction', 'source', 'status', 'kind', 'sent_by_id', 'conversation_id']


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_reports_customer', ['account_id', 'created_at'], unique=False,
                              postgresql_include=['conversation_id'],
                              postgresql_where=sa.text(FIRST_CUSTOMER), sqlite_where=sa.text(FIRST_CUSTOMER))
        batch_op.create_index('ix_messages_reports_answers', ['account_id', 'created_at'], unique=False,
                              postgresql_include=['sent_by_id', 'conversation_id'],
                              postgresql_where=sa.text(FIRST_ANSWER), sqlite_where=sa.text(FIRST_ANSWER))
        batch_op.drop_index('ix_messages_reports', postgresql_include=OLD_COLUMNS)


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_reports', ['account_id', 'created_at'], unique=False,
                              postgresql_include=OLD_COLUMNS)
        batch_op.drop_index('ix_messages_reports_answers', postgresql_include=['sent_by_id', 'conversation_id'],
                            postgresql_where=sa.text(FIRST_ANSWER), sqlite_where=sa.text(FIRST_ANSWER))
        batch_op.drop_index('ix_messages_reports_customer', postgresql_include=['conversation_id'],
                            postgresql_where=sa.text(FIRST_CUSTOMER), sqlite_where=sa.text(FIRST_CUSTOMER))
