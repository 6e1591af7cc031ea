"""Recipients a person excluded from a proposed campaign: the send step never emails them.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_exclusions",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("customer_id", sa.BigInteger, nullable=False),
        sa.Column("person", sa.String(320), nullable=False),
        sa.Column("excluded_by", sa.String(128), nullable=False),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "customer_id"),
    )


def downgrade() -> None:
    op.drop_table("campaign_exclusions")
