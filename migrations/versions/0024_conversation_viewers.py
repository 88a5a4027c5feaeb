"""inbox: who has a conversation open right now, and whether they are typing

Revision ID: 0024
Revises: 0023

Two reps could answer the same customer at once, each unaware of the other: nothing said that a
teammate had the thread open, or was typing a reply. An open thread now says so every few
seconds (app.inbox.viewers); one short-lived row per person and conversation holds it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conversation_viewers',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('typing_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('typing', sa.String(length=8), nullable=True),
    sa.CheckConstraint("typing IS NULL OR typing IN ('reply', 'note')", name=op.f('ck_conversation_viewers_typing_kind')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_viewers_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_viewers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', 'user_id', name=op.f('pk_conversation_viewers'))
    )


def downgrade():
    op.drop_table('conversation_viewers')
