"""Moving a test's state store to any schema revision, as ``StateStore.migrate`` moves it to
the head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from integrations.statestore import StateStore

MIGRATIONS = Path(__file__).resolve().parents[2] / "integrations" / "statestore" / "migrations"


def migrate_to(store: StateStore, revision: str, *, down: bool = False) -> None:
    """Upgrade (or with ``down``, downgrade) the store's schema to ``revision``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
