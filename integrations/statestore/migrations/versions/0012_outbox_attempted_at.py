"""When each outbox row was handed to a non-idempotent provider (SMTP, SendGrid).

- ``outbox.attempted_at``: set, in the transaction that records the previous email's result,
  just before the email goes to the provider. When its sender dies, a claimed row with it set
  may have been delivered (in doubt); one without it never left (back to the queue).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("attempted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    # In place on SQLite too (3.35+): no index or constraint names the column, so there is no
    # need for batch mode's copy of the whole table.
    op.drop_column("outbox", "attempted_at")
