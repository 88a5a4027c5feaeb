"""fair assignment: an account's auto-assignment mode and round robin's turn, the agents it may
choose among, each person's availability, the workspace's auto-away delay, and why and when a
conversation got its assignee

Revision ID: 0014
Revises: 0013

Every account starts with assignment off and everyone available, so nothing changes until an admin
turns it on. Conversations assigned before this keep their assignee, with no recorded reason.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_assignees',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['instagram_accounts.id'], name=op.f('fk_account_assignees_account_id_instagram_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_assignees_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'user_id', name=op.f('pk_account_assignees'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('instagram_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment', sa.String(length=16), server_default='off', nullable=False))
        batch_op.add_column(sa.Column('assignment_last_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_instagram_accounts_assignment_last_user_id_users'), 'users', ['assignment_last_user_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('assignment_valid', "assignment IN ('off', 'round_robin', 'least_open')")

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('availability', sa.String(length=12), server_default='available', nullable=False))
        batch_op.create_check_constraint('availability_valid', "availability IN ('available', 'away')")

    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_away_minutes', sa.Integer(), server_default=sa.text('30'), nullable=False))



def downgrade():
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('auto_away_minutes')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_availability_valid'), type_='check')
        batch_op.drop_column('availability')

    with op.batch_alter_table('instagram_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_instagram_accounts_assignment_valid'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_instagram_accounts_assignment_last_user_id_users'), type_='foreignkey')
        batch_op.drop_column('assignment_last_user_id')
        batch_op.drop_column('assignment')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('assignment_reason')

    op.drop_table('account_assignees')
