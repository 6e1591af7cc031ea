"""A run may answer inline in its channel: ``run_threads.thread_ts`` NULL for a question asked
at the top level of a direct message, answered there as a conversation rather than in a thread.

SQLite cannot alter a column's nullability: batch mode copies the table (its index and foreign
key with it); PostgreSQL alters it in place. Downgrading forgets the inline answers' places (the
older schema cannot say "inline"): a person's answer still pending for one is then logged as
having no thread, not posted.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_threads") as batch:
        batch.alter_column("thread_ts", existing_type=sa.String(32), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM run_threads WHERE thread_ts IS NULL")
    with op.batch_alter_table("run_threads") as batch:
        batch.alter_column("thread_ts", existing_type=sa.String(32), nullable=False)
