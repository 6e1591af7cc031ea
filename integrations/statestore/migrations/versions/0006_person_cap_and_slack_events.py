"""The frequency cap per person across campaigns, in-doubt rows by process, Slack event ids.

- ``outbox.person``: the recipient's address, trimmed and lower-cased: the same address on two
  customer records is one person, and the frequency cap is checked per person at claim time.
- ``outbox.claimed_by``: the ``host:pid`` of the process that claimed the row, so the rows of a
  process that died can be put in doubt at once rather than after a lease.
- ``slack_events``: the ids of Slack events (and other requests Slack may retry) already taken,
  so a retry is answered once; old ids are pruned.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("person", sa.String(320)))
    op.add_column("outbox", sa.Column("claimed_by", sa.String(128)))
    op.execute("UPDATE outbox SET person = lower(trim(recipient))")
    op.create_index("ix_outbox_person_status", "outbox", ["person", "status"])
    op.create_table(
        "slack_events",
        sa.Column("event_key", sa.String(255), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_events_seen_at", "slack_events", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_events_seen_at", "slack_events")
    op.drop_table("slack_events")
    op.drop_index("ix_outbox_person_status", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
        batch.drop_column("person")
