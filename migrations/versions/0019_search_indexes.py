"""search indexes: trigram GIN indexes for the inbox search (`q`) on PostgreSQL, led by the
workspace's own column so a search reads only its workspace's entries: messages by account
(messages carry the account, not the workspace), contacts by workspace. pg_trgm makes ILIKE
'%…%' an index search; btree_gin lets the leading integer column share the GIN index. SQLite has
neither and keeps scanning with LIKE, so nothing is created there.

Revision ID: 0019
Revises: 0018
"""
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.create_index('ix_messages_search', 'messages', ['account_id', 'text'], unique=False,
                    postgresql_using='gin', postgresql_ops={'text': 'gin_trgm_ops'})
    op.create_index('ix_contacts_search', 'contacts', ['workspace_id', 'username', 'name'], unique=False,
                    postgresql_using='gin', postgresql_ops={'username': 'gin_trgm_ops', 'name': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_contacts_search', table_name='contacts')
    op.drop_index('ix_messages_search', table_name='messages')
    # The extensions stay: other database objects may have come to use them since.
