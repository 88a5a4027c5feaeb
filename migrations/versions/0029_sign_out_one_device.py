"""signing out ends this device's session only

Revision ID: 0029
Revises: 0028

"Sign out" bumped users.session_generation, which signed the person out of every device (a rep
leaving the shop's tablet lost her laptop's session mid-reply). It now records the one session it
ends; "Sign out everywhere" and a password change still bump the generation.
"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signed_out_sessions',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_key', sa.String(length=64), nullable=False),
        sa.Column('signed_out_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signed_out_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'session_key', name=op.f('pk_signed_out_sessions')),
    )
    op.create_index(op.f('ix_signed_out_sessions_signed_out_at'), 'signed_out_sessions', ['signed_out_at'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_signed_out_sessions_signed_out_at'), table_name='signed_out_sessions')
    op.drop_table('signed_out_sessions')
