"""a version's logo check may run apart from its upload: its claim, its attempts and its progress

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 04:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("check_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("check_progress", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_column("check_progress")
        batch_op.drop_column("check_attempts")
        batch_op.drop_column("check_claimed_until")
