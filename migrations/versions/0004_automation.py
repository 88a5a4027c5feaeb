"""automation: rules, workspace automation settings, the automation log and AI drafts

Revision ID: automation_0002
Revises: ingest_0002
"""
from alembic import op
import sqlalchemy as sa


revision = "automation_0002"
down_revision = "ingest_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('automation_settings',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('business_hours', sa.JSON(), nullable=False),
    sa.Column('knowledge', sa.Text(), nullable=True),
    sa.Column('ai_auto_reply', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('pause_minutes', sa.Integer(), nullable=False),
    sa.Column('away_every_hours', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('away_every_hours >= 1', name=op.f('ck_automation_settings_away_every_hours_valid')),
    sa.CheckConstraint('pause_minutes >= 0', name=op.f('ck_automation_settings_pause_minutes_valid')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_automation_settings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_automation_settings'))
    )
    op.create_table('automation_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('match_type', sa.String(length=10), nullable=True),
    sa.Column('pattern', sa.String(length=200), nullable=True),
    sa.Column('reply_text', sa.Text(), nullable=False),
    sa.Column('set_lead_status', sa.String(length=16), nullable=True),
    sa.Column('assign_to_id', sa.Integer(), nullable=True),
    sa.Column('set_conversation_status', sa.String(length=16), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'keyword' OR (match_type IS NOT NULL AND pattern IS NOT NULL)", name=op.f('ck_automation_rules_keyword_has_pattern')),
    sa.CheckConstraint("kind IN ('greeting', 'away', 'keyword', 'story_mention')", name=op.f('ck_automation_rules_kind_valid')),
    sa.CheckConstraint("match_type IN ('contains', 'exact', 'regex')", name=op.f('ck_automation_rules_match_type_valid')),
    sa.CheckConstraint("set_conversation_status IN ('open', 'pending', 'resolved')", name=op.f('ck_automation_rules_set_conversation_status_valid')),
    sa.CheckConstraint("set_lead_status IN ('new', 'contacted', 'qualified', 'won', 'lost')", name=op.f('ck_automation_rules_set_lead_status_valid')),
    sa.ForeignKeyConstraint(['account_id'], ['instagram_accounts.id'], name=op.f('fk_automation_rules_account_id_instagram_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assign_to_id'], ['users.id'], name=op.f('fk_automation_rules_assign_to_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_automation_rules_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_rules'))
    )
    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.create_index('ix_automation_rules_order', ['workspace_id', 'position', 'id'], unique=False)

    op.create_table('ai_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'ready', 'failed')", name=op.f('ck_ai_drafts_status_valid')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_ai_drafts_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_ai_drafts_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_drafts'))
    )
    with op.batch_alter_table('ai_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_drafts_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('automation_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reply_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('greeting', 'away', 'keyword', 'story_mention', 'ai')", name=op.f('ck_automation_log_kind_valid')),
    sa.CheckConstraint("outcome IN ('pending', 'sent', 'skipped', 'failed')", name=op.f('ck_automation_log_outcome_valid')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_automation_log_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_automation_log_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reply_message_id'], ['messages.id'], name=op.f('fk_automation_log_reply_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_id'], ['automation_rules.id'], name=op.f('fk_automation_log_rule_id_automation_rules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_automation_log_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_log')),
    sa.UniqueConstraint('message_id', name=op.f('uq_automation_log_message_id'))
    )
    with op.batch_alter_table('automation_log', schema=None) as batch_op:
        batch_op.create_index('ix_automation_log_limit', ['conversation_id', 'kind', 'created_at'], unique=False)
        batch_op.create_index('ix_automation_log_recent', ['workspace_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('automation_log', schema=None) as batch_op:
        batch_op.drop_index('ix_automation_log_recent')
        batch_op.drop_index('ix_automation_log_limit')

    op.drop_table('automation_log')
    with op.batch_alter_table('ai_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_drafts_conversation_id'))

    op.drop_table('ai_drafts')
    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_automation_rules_order')

    op.drop_table('automation_rules')
    op.drop_table('automation_settings')
