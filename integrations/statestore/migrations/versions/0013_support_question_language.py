"""Which search read each support question.

- ``support_questions.language``: the language a question was read in when it was not English
  (the multilingual search's; its nearest passage's similarity is that model's cosine), null
  for the English search (and every question recorded before it).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("support_questions", sa.Column("language", sa.String(16)))


def downgrade() -> None:
    # In place on SQLite too (3.35+): no index or constraint names the column.
    op.drop_column("support_questions", "language")
