"""Every migration goes down and up again on a store holding runs that other tables point at, on
SQLite and on real PostgreSQL: a downgrade that copies a table SQLite's way must not drop a table
that foreign keys name."""

from __future__ import annotations

import sqlalchemy as sa

from integrations.statestore import SlackThread, StateStore
from tests.integration._migrations import migrate_to


def test_a_store_with_runs_in_use_migrates_down_to_the_first_revision_and_up_again(
    store: StateStore,
) -> None:
    run = store.start_run("support", started_by="U1", trigger="message")
    store.record_run_thread(run.run_id, SlackThread("C0HELP", "1764000000.000100"))
    store.record_audit("noted", actor="U1", run_id=run.run_id)

    migrate_to(store, "0001", down=True)
    assert "process" not in {c["name"] for c in sa.inspect(store.engine).get_columns("runs")}

    migrate_to(store, "head")
    assert store.get_run(run.run_id).workflow == "support"
    assert [entry.action for entry in store.audit_entries(run_id=run.run_id)] == ["noted"]
    other = store.start_run("ask", started_by="U2", trigger="message")
    store.record_run_thread(other.run_id, SlackThread("C0HELP", "1764000000.000200"))
    assert store.run_thread(other.run_id) == SlackThread("C0HELP", "1764000000.000200")
