"""Support questions and their outcome (confidence, escalated, reasons, nearest passage), for
the weekly digest's knowledge-gap report.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_questions",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("escalated", sa.Boolean, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("nearest_kind", sa.String(16)),
        sa.Column("nearest_article", sa.String(255)),
        sa.Column("nearest_title", sa.Text),
        sa.Column("nearest_section", sa.Text),
        sa.Column("nearest_url", sa.Text),
        sa.Column("similarity", sa.Float),
    )
    op.create_index("ix_support_questions_asked_at", "support_questions", ["asked_at"])


def downgrade() -> None:
    op.drop_index("ix_support_questions_asked_at", "support_questions")
    op.drop_table("support_questions")
