"""security: a per-user session generation, so sign-outs and password changes end sessions server-side

Revision ID: security_0004
Revises: perf_0003
"""
from alembic import op
import sqlalchemy as sa


revision = "security_0004"
down_revision = "perf_0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
