"""The audience of each proposed campaign, so a proposal can say who another run has emailed
since it was proposed (they will be skipped at send); run threads found by thread, so a
follow-up in a Slack thread finds the run it follows.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposal_audiences",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("customer_id", sa.BigInteger, nullable=False),
        sa.Column("person", sa.String(320), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "customer_id"),
    )
    op.create_index("ix_run_threads_thread", "run_threads", ["channel_id", "thread_ts"])


def downgrade() -> None:
    op.drop_index("ix_run_threads_thread", "run_threads")
    op.drop_table("proposal_audiences")
