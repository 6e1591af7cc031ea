"""Email exactly once: kill -9 mid-send then resume, suppression at send time, crash doubt."""

from __future__ import annotations

import email
import email.policy
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from integrations.email import OutgoingEmail
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from tests.integration._campaigns import APPROVER, EMAIL_FROM, make_desk
from tests.integration.conftest import propose_winback
from tests.integration.test_approvals_claimed_once import _approve_in_a_process
from workflows.sending import CampaignEmail, SendOptions, queue_emails, send_queued


@pytest.mark.slow  # a second process: ~3 s for each database
def test_a_send_killed_after_40_of_100_emails_resumes_and_sends_each_exactly_once(
    store: StateStore, database_url: str, sample_warehouse: Warehouse, isolated_environment: Path
) -> None:
    outbox = isolated_environment / "outbox"
    desk = make_desk(store, database_url, sample_warehouse.path, outbox, audience_cap=100)
    started = propose_winback(desk)
    assert started.proposal is not None and started.proposal.audience == 100

    # The child writes its 41st .eml file and dies before recording it as sent.
    child = _approve_in_a_process(
        started.run_id,
        database_url,
        sample_warehouse.path,
        outbox,
        audience_cap=100,
        kill_after=41,
    )
    child.communicate(timeout=180)
    assert child.returncode == -signal.SIGKILL
    rows = store.outbox_emails(run_id=started.run_id)
    assert len(rows) == 100
    # The batch being sent when the process died is still claimed ("sending"), its results
    # never recorded; 41 emails were written.
    assert sum(r.status == "sending" for r in rows) >= 1
    assert sum(r.status in ("sent", "sending") for r in rows) == 100
    written = {f.name: f.read_bytes() for f in outbox.glob("*.eml")}
    assert len(written) == 41

    outcome = desk.resume(started.run_id, APPROVER)
    assert outcome.status == "succeeded"
    rows = store.outbox_emails(run_id=started.run_id)
    assert [r.status for r in rows] == ["sent"] * 100
    assert len({r.customer_id for r in rows}) == 100
    files = list(outbox.glob("*.eml"))
    assert len(files) == 100
    # The 41 written before the crash were not written again.
    assert all(outbox.joinpath(name).read_bytes() == data for name, data in written.items())
    recipients = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)["To"] for f in files
    ]
    assert sorted(recipients) == sorted(r.recipient for r in rows)
    # Resuming again does nothing more.
    with pytest.raises(Exception, match="nothing left to do"):
        desk.resume(started.run_id, APPROVER)
    assert len(list(outbox.glob("*.eml"))) == 100


@pytest.mark.slow  # a second process: ~3 s for each database
def test_a_decision_redelivered_after_its_worker_died_mid_send_continues_the_same_run(
    store: StateStore, database_url: str, sample_warehouse: Warehouse, isolated_environment: Path
) -> None:
    outbox = isolated_environment / "outbox"
    desk = make_desk(store, database_url, sample_warehouse.path, outbox, audience_cap=20)
    started = propose_winback(desk)
    task_id = uuid.uuid4().hex
    store.queue_task(task_id, work="bot.work.decide", queue="batch")
    # The decision's first delivery dies (-9) right after writing its 8th email.
    child = _approve_in_a_process(
        started.run_id,
        database_url,
        sample_warehouse.path,
        outbox,
        audience_cap=20,
        kill_after=8,
        task=task_id,
    )
    child.communicate(timeout=180)
    assert child.returncode == -signal.SIGKILL

    again = store.pick_up_task(task_id, max_deliveries=3)
    with store.working_on(task_id, resuming=again.unfinished):
        outcome = desk.decide(started.run_id, "approved", APPROVER)

    assert [run.run_id for run in again.unfinished] == [started.run_id]
    assert (outcome.run_id, outcome.status) == (started.run_id, "succeeded")
    run = store.get_run(started.run_id)
    assert (run.status, run.task_id) == ("succeeded", task_id)
    rows = store.outbox_emails(run_id=started.run_id)
    assert [r.status for r in rows] == ["sent"] * 20
    assert len(list(outbox.glob("*.eml"))) == 20
    actions = [e.action for e in store.audit_entries(run_id=started.run_id)]
    assert actions.count("approved") == 1 and actions.count("resumed") == 1
    assert "approval_refused" not in actions
    assert actions.count("campaign_sent") == 1


def test_an_address_suppressed_after_approval_is_not_sent_to(
    store: StateStore, database_url: str, sample_warehouse: Warehouse, isolated_environment: Path
) -> None:
    outbox = isolated_environment / "outbox"
    desk = make_desk(store, database_url, sample_warehouse.path, outbox)
    started = propose_winback(desk)
    assert started.proposal is not None
    unsubscribed = started.proposal.samples[1]
    store.add_suppression(unsubscribed.recipient.upper(), reason="unsubscribed", actor="tester")

    done = desk.decide(started.run_id, "approved", APPROVER)
    assert (done.result.sent, done.result.suppressed) == (4, 1)
    (row,) = [
        r
        for r in store.outbox_emails(run_id=started.run_id)
        if r.customer_id == unsubscribed.customer_id
    ]
    assert row.status == "suppressed"
    assert len(list(outbox.glob("*.eml"))) == 4


class _RecordingProvider:
    """A provider that cannot say whether it delivered (like SMTP or SendGrid)."""

    name = "provider"
    idempotent = False

    def __init__(self) -> None:
        self.sent: list[str] = []

    @contextmanager
    def session(self) -> Iterator[_RecordingProvider]:
        yield self

    def send(self, email: OutgoingEmail) -> str:
        self.sent.append(email.idempotency_key)
        return f"<{email.idempotency_key}>"


def test_a_crash_mid_send_on_a_remote_provider_leaves_only_the_email_in_flight_in_doubt(
    database_url: str,
) -> None:
    store = StateStore(database_url)
    store.migrate()
    run = store.start_run("winback", started_by="tester", trigger="cli")
    queue_emails(
        store,
        run.run_id,
        [CampaignEmail(i, f"customer{i}@example.com", "Hello", "Hi there") for i in (1, 2, 3, 4)],
    )
    # A sender on another host claimed customers 1-3, handed customer 1's email to the provider
    # and died before recording its answer: its claim is older than the lease. It never tried 2
    # or 3.
    claimed = store.claim_emails(run.run_id, "dead-sender", limit=3)
    assert [e.customer_id for e in claimed.emails] == [1, 2, 3]
    assert store.attempt_email("dead-sender", claimed.emails[0].email_id)

    provider = _RecordingProvider()
    options = SendOptions(email_from=EMAIL_FROM, lease=timedelta(seconds=0))
    report = send_queued(store, run.run_id, provider, options)
    assert (report.sent, report.in_doubt) == (3, 1)
    assert provider.sent == [f"{run.run_id}:{i}" for i in (2, 3, 4)]
    (doubt,) = store.outbox_emails(run_id=run.run_id, status="in_doubt")
    assert doubt.customer_id == 1
    assert doubt.error is not None and "stopped before the provider answered" in doubt.error
    # Taken over, the dead sender's claim can no longer be attempted nor settled.
    assert not store.attempt_email("dead-sender", claimed.emails[1].email_id)
    again = send_queued(store, run.run_id, provider, SendOptions(email_from=EMAIL_FROM))
    assert (again.sent_now, len(provider.sent)) == (0, 3)
    store.close()
