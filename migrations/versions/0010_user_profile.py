"""profile: a person's own time zone and avatar colour

Revision ID: profile_0008
Revises: audit_0007
"""
from alembic import op
import sqlalchemy as sa


revision = "profile_0008"
down_revision = "audit_0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("avatar_hue", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("avatar_hue")
        batch_op.drop_column("timezone")
