"""The acceptance path from the terminal: propose a win-back, approve it, the outbox holds it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from controlroom.cli import app
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse


def test_run_winback_pauses_and_approve_sends_exactly_the_approved_audience(
    sample_warehouse: Warehouse, isolated_environment: Path
) -> None:
    runner = CliRunner()
    proposed = runner.invoke(app, ["run", "winback"])
    assert proposed.exit_code == 0, proposed.output
    assert "is waiting for approval" in proposed.output

    listed = runner.invoke(app, ["approvals", "list"])
    assert listed.exit_code == 0, listed.output
    state = StateStore(f"sqlite:///{isolated_environment / 'controlroom.db'}")
    (pending,) = state.approvals(status="pending")
    assert pending.run_id[:8] in listed.output
    audience = pending.summary["audience"]

    refused = runner.invoke(app, ["approvals", "approve", pending.run_id[:8], "--as", "U0NOBODY1"])
    assert refused.exit_code == 1
    assert "not an approver" in refused.output

    approved = runner.invoke(app, ["approvals", "approve", pending.run_id[:8]])
    assert approved.exit_code == 0, approved.output
    assert f"sent {audience}" in approved.output
    rows = state.outbox_emails(run_id=pending.run_id)
    assert len(rows) == audience == len({r.customer_id for r in rows})
    assert {r.status for r in rows} == {"sent"}
    assert len(list((isolated_environment / "outbox").glob("*.eml"))) == audience

    again = runner.invoke(app, ["approvals", "approve", pending.run_id[:8]])
    assert again.exit_code == 1
    assert "already approved by U0APPROVER at" in again.output
    state.close()


def test_run_winback_for_a_segment_proposes_for_it_and_refuses_one_the_policy_does_not_target(
    sample_warehouse: Warehouse, isolated_environment: Path
) -> None:
    runner = CliRunner(env={"COLUMNS": "300"})
    refused = runner.invoke(app, ["run", "winback", "--segment", "champions"])
    assert refused.exit_code == 1
    assert "'champions' is not a segment win-backs may target" in refused.output
    assert "Traceback" not in refused.output

    proposed = runner.invoke(app, ["run", "winback", "--segment", "at-risk", "--days", "120"])
    assert proposed.exit_code == 0, proposed.output
    state = StateStore(f"sqlite:///{isolated_environment / 'controlroom.db'}")
    (pending,) = state.approvals(status="pending")
    assert (pending.summary["segments"], pending.summary["min_days"]) == (["At Risk"], 120)
