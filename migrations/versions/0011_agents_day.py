"""the agent's day: per-person unread, who spoke last and needs-reply index, labels, saved
replies, drafts, a theme per person

Revision ID: 0011
Revises: profile_0008

Existing unread counts become every active member's own unread, so nobody loses an unread
conversation on upgrade; who spoke last is taken from each conversation's newest message; resolved
conversations no longer wait for a reply. The shared unread badge's index goes: the badge reads
each person's own rows now.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = 'profile_0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_labels_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_labels_workspace_id_name'))
    )
    op.create_table('saved_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('shortcut', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('attachment_name', sa.String(length=255), nullable=True),
    sa.Column('attachment_type', sa.String(length=100), nullable=True),
    sa.Column('attachment_data', sa.LargeBinary(), nullable=True),
    sa.Column('usage_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_saved_replies_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_saved_replies_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_replies'))
    )
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_replies_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index('uq_saved_replies_personal_shortcut', ['owner_id', 'shortcut'], unique=True, postgresql_where=sa.text('owner_id IS NOT NULL'), sqlite_where=sa.text('owner_id IS NOT NULL'))
        batch_op.create_index('uq_saved_replies_workspace_shortcut', ['workspace_id', 'shortcut'], unique=True, postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))

    op.create_table('conversation_labels',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_conversation_labels_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_labels_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['labels.id'], name=op.f('fk_conversation_labels_label_id_labels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', 'label_id', name=op.f('pk_conversation_labels'))
    )
    with op.batch_alter_table('conversation_labels', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_labels_label', ['label_id', 'conversation_id'], unique=False)

    op.create_table('conversation_unreads',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('count > 0', name=op.f('ck_conversation_unreads_count_positive')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_unreads_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_unreads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'conversation_id', name=op.f('pk_conversation_unreads'))
    )
    with op.batch_alter_table('conversation_unreads', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_unreads_conversation', ['conversation_id'], unique=False)

    op.create_table('drafts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_drafts_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_drafts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'conversation_id', name=op.f('pk_drafts'))
    )
    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('add_label_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_automation_rules_add_label_id_labels'), 'labels', ['add_label_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_speaker', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint('last_speaker_valid', "last_speaker IN ('customer', 'team', 'automation')")
        batch_op.create_index('ix_conversations_waiting', ['workspace_id', 'waiting_since', 'id'], unique=False, postgresql_where=sa.text('waiting_since IS NOT NULL'), sqlite_where=sa.text('waiting_since IS NOT NULL'))
        # The badge counts each person's own unread now (conversation_unreads' primary key).
        batch_op.drop_index('ix_conversations_unread', postgresql_where=sa.text('unread_count > 0'), sqlite_where=sa.text('unread_count > 0'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('theme', sa.String(length=8), server_default='system', nullable=False))
        batch_op.create_check_constraint('theme_valid', "theme IN ('system', 'light', 'dark')")

    op.execute("""
        INSERT INTO conversation_unreads (user_id, conversation_id, count, since)
        SELECT users.id, conversations.id, conversations.unread_count,
               COALESCE(conversations.last_inbound_at, conversations.last_message_at)
        FROM conversations JOIN users ON users.workspace_id = conversations.workspace_id
        WHERE conversations.unread_count > 0 AND users.active
    """)
    # Resolving now counts as handled (app/messages/waiting.py): conversations resolved before
    # the upgrade stop waiting too.
    op.execute("UPDATE conversations SET waiting_since = NULL WHERE status = 'resolved'")
    op.execute("""
        UPDATE conversations SET last_speaker = (
            SELECT CASE WHEN m.direction = 'in' THEN 'customer'
                        WHEN m.source = 'automation' THEN 'automation' ELSE 'team' END
            FROM messages m WHERE m.conversation_id = conversations.id
            ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
    """)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('theme_valid', type_='check')
        batch_op.drop_column('theme')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_waiting', postgresql_where=sa.text('waiting_since IS NOT NULL'), sqlite_where=sa.text('waiting_since IS NOT NULL'))
        batch_op.create_index('ix_conversations_unread', ['workspace_id'], unique=False, postgresql_where=sa.text('unread_count > 0'), sqlite_where=sa.text('unread_count > 0'))
        batch_op.drop_constraint('last_speaker_valid', type_='check')
        batch_op.drop_column('last_speaker')

    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_automation_rules_add_label_id_labels'), type_='foreignkey')
        batch_op.drop_column('add_label_id')

    op.drop_table('drafts')
    with op.batch_alter_table('conversation_unreads', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_unreads_conversation')

    op.drop_table('conversation_unreads')
    with op.batch_alter_table('conversation_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_labels_label')

    op.drop_table('conversation_labels')
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.drop_index('uq_saved_replies_workspace_shortcut', postgresql_where=sa.text('owner_id IS NULL'), sqlite_where=sa.text('owner_id IS NULL'))
        batch_op.drop_index('uq_saved_replies_personal_shortcut', postgresql_where=sa.text('owner_id IS NOT NULL'), sqlite_where=sa.text('owner_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_saved_replies_workspace_id'))

    op.drop_table('saved_replies')
    op.drop_table('labels')
