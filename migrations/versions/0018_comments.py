"""comments: Instagram comments reach the inbox. A table of our accounts' posts (and ads) that
people comment on; a conversation gains its kind (a person's DMs, or their comments on one post)
and that post, so the one-conversation rule becomes one DM conversation per customer and account
and one comments conversation per customer, account and post; a comment is a message (its id is
the mid) with the comment it answers, whether it is hidden, and its one private reply; an account
keeps the permissions granted at Connect, to say when comments are off

Revision ID: 0018
Revises: 0017

Existing conversations become `dm`; existing accounts have no granted scopes recorded (they were
connected before comments were asked for, and show "Comments off" until reconnected).
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instagram_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('ig_media_id', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=30), nullable=True),
    sa.Column('product_type', sa.String(length=30), nullable=True),
    sa.Column('caption', sa.Text(), nullable=True),
    sa.Column('permalink', sa.Text(), nullable=True),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('thumbnail_url', sa.Text(), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ad_id', sa.String(length=64), nullable=True),
    sa.Column('ad_title', sa.String(length=255), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fetch_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['instagram_accounts.id'], name=op.f('fk_instagram_media_account_id_instagram_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_instagram_media_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instagram_media')),
    sa.UniqueConstraint('account_id', 'ig_media_id', name=op.f('uq_instagram_media_account_id_ig_media_id'))
    )
    with op.batch_alter_table('instagram_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instagram_media_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='dm', nullable=False))
        batch_op.add_column(sa.Column('media_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_conversations_account_id_contact_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_conversations_media_id'), ['media_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_conversations_account_id_contact_id_media_id'), ['account_id', 'contact_id', 'media_id'])
        batch_op.create_index('ux_conversations_dm', ['account_id', 'contact_id'], unique=True, postgresql_where=sa.text("kind = 'dm'"), sqlite_where=sa.text("kind = 'dm'"))
        batch_op.create_foreign_key(batch_op.f('fk_conversations_media_id_instagram_media'), 'instagram_media', ['media_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint('kind_valid', "kind IN ('dm', 'comments')")
        batch_op.create_check_constraint(
            'media_valid', "(kind = 'dm' AND media_id IS NULL) OR (kind = 'comments' AND media_id IS NOT NULL)")

    with op.batch_alter_table('instagram_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('granted_scopes', sa.JSON(), nullable=True))

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_comment_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('hidden', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))
        batch_op.add_column(sa.Column('private_replied_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('private_reply_message_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_messages_private_reply_message_id'), ['private_reply_message_id'])
        batch_op.create_foreign_key(batch_op.f('fk_messages_private_reply_message_id_messages'), 'messages', ['private_reply_message_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_private_reply_message_id_messages'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_messages_private_reply_message_id'), type_='unique')
        batch_op.drop_column('private_reply_message_id')
        batch_op.drop_column('private_replied_at')
        batch_op.drop_column('hidden')
        batch_op.drop_column('parent_comment_id')

    with op.batch_alter_table('instagram_accounts', schema=None) as batch_op:
        batch_op.drop_column('granted_scopes')

    # Comments conversations cannot be DM ones: they go, with their messages, before the old rule returns.
    op.execute("DELETE FROM conversations WHERE kind <> 'dm'")
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_conversations_media_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_conversations_kind_valid'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_conversations_media_id_instagram_media'), type_='foreignkey')
        batch_op.drop_index('ux_conversations_dm', postgresql_where=sa.text("kind = 'dm'"), sqlite_where=sa.text("kind = 'dm'"))
        batch_op.drop_constraint(batch_op.f('uq_conversations_account_id_contact_id_media_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_conversations_media_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_conversations_account_id_contact_id'), ['account_id', 'contact_id'])
        batch_op.drop_column('media_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('instagram_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instagram_media_workspace_id'))

    op.drop_table('instagram_media')
