"""notifications: a row per person and event, preferences per type, Web Push devices, note
mentions; when each person was last seen, whether pushes and mails may quote customers, and how
long a workspace waits before mailing an alert

Revision ID: 0012
Revises: 0011

Nothing existing changes meaning: everyone starts with the default preferences (no rows) and an
empty notification list.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('channels', sa.Integer(), nullable=False),
    sa.CheckConstraint("type IN ('new_conversation', 'new_message', 'assigned', 'mention', 'follow_up_due', 'account_attention')", name=op.f('ck_notification_preferences_type_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'type', name=op.f('pk_notification_preferences'))
    )
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('endpoint_hash', sa.String(length=64), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('device', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint_hash', name=op.f('uq_push_subscriptions_endpoint_hash'))
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_user_id'), ['user_id'], unique=False)

    op.create_table('note_mentions',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_mentions_note_id_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_note_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('note_id', 'user_id', name=op.f('pk_note_mentions'))
    )
    with op.batch_alter_table('note_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_note_mentions_user', ['user_id', 'note_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('count', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('channels', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('push_pending', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('email_pending', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.CheckConstraint("type IN ('new_conversation', 'new_message', 'assigned', 'mention', 'follow_up_due', 'account_attention')", name=op.f('ck_notifications_type_valid')),
    sa.ForeignKeyConstraint(['account_id'], ['instagram_accounts.id'], name=op.f('fk_notifications_account_id_instagram_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_notifications_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_notifications_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_notifications_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_conversation', ['conversation_id'], unique=False)
        batch_op.create_index('ix_notifications_email_pending', ['user_id', 'id'], unique=False, postgresql_where=sa.text('email_pending'), sqlite_where=sa.text('email_pending'))
        batch_op.create_index('ix_notifications_push_pending', ['id'], unique=False, postgresql_where=sa.text('push_pending'), sqlite_where=sa.text('push_pending'))
        batch_op.create_index('ix_notifications_user', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'id'], unique=False, postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))
        batch_op.create_index('ux_notifications_open_message', ['user_id', 'conversation_id'], unique=True, postgresql_where=sa.text("read_at IS NULL AND type = 'new_message'"), sqlite_where=sa.text("read_at IS NULL AND type = 'new_message'"))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('notification_previews', sa.Boolean(), server_default=sa.text('true'), nullable=False))

    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_email_after_minutes', sa.Integer(), server_default=sa.text('10'), nullable=False))



def downgrade():
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('alert_email_after_minutes')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notification_previews')
        batch_op.drop_column('last_seen_at')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ux_notifications_open_message', postgresql_where=sa.text("read_at IS NULL AND type = 'new_message'"), sqlite_where=sa.text("read_at IS NULL AND type = 'new_message'"))
        batch_op.drop_index('ix_notifications_user_unread', postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))
        batch_op.drop_index('ix_notifications_user')
        batch_op.drop_index('ix_notifications_push_pending', postgresql_where=sa.text('push_pending'), sqlite_where=sa.text('push_pending'))
        batch_op.drop_index('ix_notifications_email_pending', postgresql_where=sa.text('email_pending'), sqlite_where=sa.text('email_pending'))
        batch_op.drop_index('ix_notifications_conversation')

    op.drop_table('notifications')
    with op.batch_alter_table('note_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_note_mentions_user')

    op.drop_table('note_mentions')
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_user_id'))

    op.drop_table('push_subscriptions')
    op.drop_table('notification_preferences')
