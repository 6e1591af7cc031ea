"""Approvals claimed once, the suppression list, and the outbox's send claim.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("workflow", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("round", sa.Integer, nullable=False, server_default="1"),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text),
        sa.Column("edits", sa.JSON),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
    )
    op.create_index("ix_approvals_status", "approvals", ["status"])
    op.create_table(
        "suppressions",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("customer_id", sa.BigInteger),
        sa.Column("reason", sa.String(256), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    # Nullable columns: plain ALTER TABLE ADD COLUMN works on SQLite too (no batch mode).
    op.add_column("outbox", sa.Column("claim_token", sa.String(64)))
    op.add_column("outbox", sa.Column("claimed_at", sa.DateTime(timezone=True)))
    op.add_column("outbox", sa.Column("error", sa.Text))
    op.create_index("ix_outbox_customer_sent", "outbox", ["customer_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_customer_sent", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("error")
        batch.drop_column("claimed_at")
        batch.drop_column("claim_token")
    op.drop_table("suppressions")
    op.drop_index("ix_approvals_status", "approvals")
    op.drop_table("approvals")
