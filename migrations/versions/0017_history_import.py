"""history import: one row per account saying how far its import of past DMs through the
Conversations API got (status, run, the window in days, Meta's page cursor and the position on that
page, progress done/total, the shared pacing slot, the job's lease and the last error), so a crashed
worker or a redeploy continues from the stored cursor instead of from zero

Revision ID: 0019
Revises: 0016

No account has a row until its first import: the API and /accounts read a missing row as "idle".
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='idle', nullable=False),
    sa.Column('run', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('days', sa.Integer(), server_default=sa.text('30'), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('page_position', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('done', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('total', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_call_ms', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('idle', 'running', 'done', 'failed')", name=op.f('ck_account_imports_status_valid')),
    sa.ForeignKeyConstraint(['account_id'], ['instagram_accounts.id'], name=op.f('fk_account_imports_account_id_instagram_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_imports')),
    sa.UniqueConstraint('account_id', name=op.f('uq_account_imports_account_id'))
    )


def downgrade():
    op.drop_table('account_imports')
