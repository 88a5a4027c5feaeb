"""comment automation: a rule of kind `comment` answers a comment on the account's posts (any, or
the chosen ones in `media_ids`) with a private reply (`reply_text`) and optionally a public one
picked from `public_replies`; `comment_automation_claims` holds one row per person and post, the
unique claim that makes automation answer each person once per post under concurrent deliveries;
the log may record comment rules' decisions

Revision ID: 0020
Revises: 0019

Existing rules keep their kinds and get no posts or variants.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

OLD_RULE_KINDS = "kind IN ('greeting', 'away', 'keyword', 'story_mention')"
NEW_RULE_KINDS = "kind IN ('greeting', 'away', 'keyword', 'story_mention', 'comment')"
OLD_LOG_KINDS = "kind IN ('greeting', 'away', 'keyword', 'story_mention', 'ai')"
NEW_LOG_KINDS = "kind IN ('greeting', 'away', 'keyword', 'story_mention', 'comment', 'ai')"
OLD_HAS_PATTERN = "kind <> 'keyword' OR (match_type IS NOT NULL AND pattern IS NOT NULL)"
NEW_HAS_PATTERN = "kind NOT IN ('keyword', 'comment') OR (match_type IS NOT NULL AND pattern IS NOT NULL)"


def upgrade():
    op.create_table('comment_automation_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('comment_message_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_message_id'], ['messages.id'], name=op.f('fk_comment_automation_claims_comment_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_comment_automation_claims_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['instagram_media.id'], name=op.f('fk_comment_automation_claims_media_id_instagram_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['automation_rules.id'], name=op.f('fk_comment_automation_claims_rule_id_automation_rules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_comment_automation_claims_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_automation_claims')),
    sa.UniqueConstraint('contact_id', 'media_id', name=op.f('uq_comment_automation_claims_contact_id_media_id'))
    )
    with op.batch_alter_table('comment_automation_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_automation_claims_comment_message_id'), ['comment_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_automation_claims_media_id'), ['media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_automation_claims_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('public_replies', sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f('ck_automation_rules_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', NEW_RULE_KINDS)
        batch_op.drop_constraint(op.f('ck_automation_rules_keyword_has_pattern'), type_='check')
        batch_op.create_check_constraint('keyword_has_pattern', NEW_HAS_PATTERN)

    with op.batch_alter_table('automation_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_automation_log_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', NEW_LOG_KINDS)


def downgrade():
    op.execute("DELETE FROM automation_log WHERE kind = 'comment'")
    op.execute("DELETE FROM automation_rules WHERE kind = 'comment'")
    with op.batch_alter_table('automation_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_automation_log_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', OLD_LOG_KINDS)

    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_automation_rules_keyword_has_pattern'), type_='check')
        batch_op.create_check_constraint('keyword_has_pattern', OLD_HAS_PATTERN)
        batch_op.drop_constraint(op.f('ck_automation_rules_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', OLD_RULE_KINDS)
        batch_op.drop_column('public_replies')
        batch_op.drop_column('media_ids')

    with op.batch_alter_table('comment_automation_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_automation_claims_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_comment_automation_claims_media_id'))
        batch_op.drop_index(batch_op.f('ix_comment_automation_claims_comment_message_id'))

    op.drop_table('comment_automation_claims')
