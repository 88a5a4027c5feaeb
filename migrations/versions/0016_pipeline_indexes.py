"""pipeline indexes: the board's column heads read a covering index (count and value per status
and currency; another led by the owner for "Mine", which replaces the owner's plain index), and the lead panel finds a customer's conversations on other accounts by username

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_account_username', ['account_id', 'username'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_board_totals', ['workspace_id', 'status', 'currency', 'value_cents'], unique=False)
        batch_op.create_index('ix_leads_owner_totals', ['owner_id', 'workspace_id', 'status', 'currency', 'value_cents'], unique=False)
        batch_op.drop_index('ix_leads_owner_id')



def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_owner_id', ['owner_id'], unique=False)
        batch_op.drop_index('ix_leads_owner_totals')
        batch_op.drop_index('ix_leads_board_totals')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_account_username')

