"""Workflow calls on the task queue: each task as queued, how many times a worker picked it up
and which, how it ended; and on each run, the task that started it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_tasks",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("work", sa.String(255), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("worker", sa.String(128)),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("picked_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_queue_tasks_queued_at", "queue_tasks", ["queued_at"])
    op.add_column("runs", sa.Column("task_id", sa.String(64)))
    op.create_index("ix_runs_task_id", "runs", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_runs_task_id", table_name="runs")
    # In place on SQLite too (3.35+), not batch mode's copy: dropping the old ``runs`` would
    # break the foreign keys that point at it.
    op.drop_column("runs", "task_id")
    op.drop_index("ix_queue_tasks_queued_at", table_name="queue_tasks")
    op.drop_table("queue_tasks")
