"""paper exchange account state

Revision ID: 0003_paper_exchange
Revises: 0002_backend_logs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_paper_exchange"
down_revision = "0002_backend_logs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_exchange_state",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("state_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_exchange_state")),
        sa.UniqueConstraint("account", name=op.f("uq_paper_exchange_state_account")),
    )


def downgrade() -> None:
    op.drop_table("paper_exchange_state")
