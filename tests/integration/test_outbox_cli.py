"""``controlroom outbox list|settle``: the emails in doubt after a sender died, with the
Message-ID to look up at the provider, and a person's verdict — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from controlroom.cli import app
from integrations.email.message import message_id_for
from integrations.statestore import QueuedEmail, Settlement, StateStore
from workflows.sending import idempotency_key

EMAIL_FROM = "Two Peaks <hello@twopeaks.example.com>"  # the settings' default From


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("EMAIL_FROM", EMAIL_FROM)
    return CliRunner(env={"COLUMNS": "300"})


def _in_doubt(state: StateStore) -> tuple[str, list[int]]:
    """A finished campaign run with two emails sent and one left in doubt by a dead sender."""
    run = state.start_run("winback", started_by="tester", trigger="cli")
    state.queue_emails(
        run.run_id,
        [QueuedEmail(i, f"customer{i}@example.com", "We miss you", "Hi") for i in (1, 2, 3)],
    )
    claimed = state.claim_emails(run.run_id, "dead", limit=3).emails
    state.settle_emails("dead", [Settlement(e.email_id, "sent", "m") for e in claimed[:2]])
    assert state.attempt_email("dead", claimed[2].email_id)  # handed over, then the sender died
    stuck = state.mark_emails_in_doubt(
        run.run_id, claimed_before=datetime.now(UTC) + timedelta(seconds=1), reason="it stopped"
    )
    assert stuck == 1
    state.finish_run(run.run_id, "partial", error="1 in doubt of 3 emails")
    return run.run_id, [e.email_id for e in claimed]


def test_outbox_list_shows_the_emails_in_doubt_with_the_message_id_to_look_up(
    cli: CliRunner, state: StateStore
) -> None:
    run_id, ids = _in_doubt(state)
    result = cli.invoke(app, ["outbox", "list", "--run", run_id[:8], "--status", "in_doubt"])
    assert result.exit_code == 0, result.output
    assert "customer3@example.com" in result.output
    assert "customer1@example.com" not in result.output
    assert message_id_for(idempotency_key(run_id, 3), EMAIL_FROM) in result.output


def test_settling_the_last_email_in_doubt_as_sent_makes_the_run_succeeded(
    cli: CliRunner, state: StateStore
) -> None:
    run_id, ids = _in_doubt(state)
    result = cli.invoke(app, ["outbox", "settle", str(ids[2]), "--sent"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    assert state.get_run(run_id).status == "succeeded"
    again = cli.invoke(app, ["outbox", "settle", str(ids[2]), "--sent"])
    assert again.exit_code == 1
    assert "is sent, not in doubt" in again.output


def test_resending_an_email_in_doubt_sends_it_once_to_the_outbox(
    cli: CliRunner, state: StateStore, isolated_environment: Path
) -> None:
    run_id, ids = _in_doubt(state)
    result = cli.invoke(app, ["outbox", "settle", str(ids[2]), "--resend"])
    assert result.exit_code == 0, result.output
    assert [e.status for e in state.outbox_emails(run_id=run_id)] == ["sent"] * 3
    assert len(list((isolated_environment / "outbox").glob("*.eml"))) == 1
    assert state.get_run(run_id).status == "succeeded"


def test_settle_needs_exactly_one_verdict(cli: CliRunner, state: StateStore) -> None:
    _, ids = _in_doubt(state)
    result = cli.invoke(app, ["outbox", "settle", str(ids[2])])
    assert result.exit_code == 2
    assert "exactly one of --sent and --resend" in result.output
