"""The process a run is running in, so that runs of a process that died can be closed.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("process", sa.String(128)))


def downgrade() -> None:
    # Not in batch mode: SQLite's copy of ``runs`` would drop the table every run thread, audit
    # entry and proposal points at (a foreign key failure). SQLite drops a column itself since
    # 3.35.
    op.drop_column("runs", "process")
