"""The whole win-back approval sending through a faulty SMTP server, and killed (-9) mid-send.

The run's status tells the truth: "succeeded" only when every email went, "partial" (saying how
many) when some failed or are in doubt, "failed" when the send had to stop with the rest still
queued — and ``resume`` then sends each queued email exactly once (counted by the server).
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from integrations.email import EmailConfigError, EmailUnavailableError, SmtpSender
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from tests.fakes.smtp_server import FaultySmtpServer
from tests.integration._campaigns import APPROVER, make_desk
from tests.integration.conftest import propose_winback
from tests.integration.test_approvals_claimed_once import _approve_in_a_process
from tests.integration.test_sending_faults import PASSWORD, accounted
from workflows.approvals import ApprovalDesk
from workflows.sending import REMOTE_BATCH

AUDIENCE = 30


@pytest.fixture
def smtp() -> Iterator[FaultySmtpServer]:
    with FaultySmtpServer() as server:
        yield server


def smtp_desk(
    store: StateStore,
    database_url: str,
    warehouse: Warehouse,
    outbox: Path,
    url: str,
    *,
    audience_cap: int = 5,
) -> ApprovalDesk:
    """The approval desk of ``make_desk``, sending through the SMTP server at ``url``."""
    return make_desk(
        store,
        database_url,
        warehouse.path,
        outbox,
        audience_cap=audience_cap,
        sender=SmtpSender(url, timeout=5),
    )


def test_a_refused_smtp_login_fails_the_run_naming_smtp_url_and_no_email(
    store: StateStore, database_url: str, sample_warehouse: Warehouse, outbox: Path
) -> None:
    with FaultySmtpServer(password=PASSWORD) as smtp:
        desk = smtp_desk(store, database_url, sample_warehouse, outbox, smtp.url(password="wrong"))
        started = propose_winback(desk)
        with pytest.raises(EmailConfigError, match="check SMTP_URL"):
            desk.decide(started.run_id, "approved", APPROVER)
        run = store.get_run(started.run_id)
        assert run.status == "failed"
        assert run.error is not None and "SMTP_URL" in run.error and "\n" not in run.error
        assert accounted(store, started.run_id, smtp) == {"queued": 5}

        # The password fixed (a restart with the right SMTP_URL): resume sends each once.
        fixed = smtp_desk(
            store, database_url, sample_warehouse, outbox, smtp.url(password=PASSWORD)
        )
        assert fixed.resume(started.run_id, APPROVER).status == "succeeded"
        assert accounted(store, started.run_id, smtp) == {"sent": 5}
        assert len(smtp.deliveries) == 5


def test_a_554_for_one_recipient_makes_the_run_partial_and_sends_the_others(
    store: StateStore,
    database_url: str,
    sample_warehouse: Warehouse,
    outbox: Path,
    smtp: FaultySmtpServer,
) -> None:
    desk = smtp_desk(store, database_url, sample_warehouse, outbox, smtp.url())
    started = propose_winback(desk)
    assert started.proposal is not None
    smtp.reject_at_data = started.proposal.samples[1].recipient
    outcome = desk.decide(started.run_id, "approved", APPROVER)
    assert outcome.status == "partial"
    assert (outcome.result.sent, outcome.result.failed) == (4, 1)
    run = store.get_run(started.run_id)
    assert run.status == "partial"
    assert run.error is not None and run.error.startswith("1 failed of 5 emails")
    assert accounted(store, started.run_id, smtp) == {"sent": 4, "failed": 1}


def test_a_line_separator_in_one_customers_address_fails_only_that_email(
    store: StateStore,
    database_url: str,
    sample_warehouse: Warehouse,
    outbox: Path,
    smtp: FaultySmtpServer,
) -> None:
    desk = smtp_desk(store, database_url, sample_warehouse, outbox, smtp.url())
    first = propose_winback(desk)
    assert first.proposal is not None
    chosen = first.proposal.samples[2]
    with duckdb.connect(str(sample_warehouse.path)) as connection:
        connection.execute(
            "UPDATE customers SET email = email || ? WHERE customer_id = ?",
            ["\u2028Bcc: evil@example.net", chosen.customer_id],
        )
    desk.decide(first.run_id, "rejected", APPROVER, reason="the address was wrong")
    started = propose_winback(desk)
    outcome = desk.decide(started.run_id, "approved", APPROVER)
    assert outcome.status == "partial"
    assert accounted(store, started.run_id, smtp) == {"sent": 4, "failed": 1}
    (failed,) = store.outbox_emails(run_id=started.run_id, status="failed")
    assert failed.customer_id == chosen.customer_id
    assert "evil@example.net" not in smtp.delivered()


@pytest.mark.slow  # the desk's backoff is the default one (1 + 2 + 4 s) for each database
def test_an_smtp_server_down_fails_the_run_and_a_resume_once_it_is_back_sends_each_once(
    store: StateStore,
    database_url: str,
    sample_warehouse: Warehouse,
    outbox: Path,
    smtp: FaultySmtpServer,
) -> None:
    desk = smtp_desk(store, database_url, sample_warehouse, outbox, smtp.url())
    started = propose_winback(desk)
    smtp.refuse_connections()
    with pytest.raises(EmailUnavailableError):
        desk.decide(started.run_id, "approved", APPROVER)
    assert store.get_run(started.run_id).status == "failed"
    assert accounted(store, started.run_id, smtp) == {"queued": 5}

    smtp.accept_connections()
    assert desk.resume(started.run_id, APPROVER).status == "succeeded"
    assert accounted(store, started.run_id, smtp) == {"sent": 5}


@pytest.mark.slow  # a second process: ~4 s for each point and database
@pytest.mark.parametrize("kill_after", [1, AUDIENCE // 2, REMOTE_BATCH, AUDIENCE - 1])
def test_a_send_killed_mid_way_puts_the_email_in_flight_in_doubt_at_once_and_sends_the_rest_once(
    store: StateStore,
    database_url: str,
    sample_warehouse: Warehouse,
    outbox: Path,
    smtp: FaultySmtpServer,
    kill_after: int,
) -> None:
    desk = smtp_desk(
        store, database_url, sample_warehouse, outbox, smtp.url(), audience_cap=AUDIENCE
    )
    started = propose_winback(desk)
    assert started.proposal is not None and started.proposal.audience == AUDIENCE

    child = _approve_in_a_process(
        started.run_id,
        database_url,
        sample_warehouse.path,
        outbox,
        audience_cap=AUDIENCE,
        kill_after=kill_after,
        smtp_url=smtp.url(),
    )
    child.communicate(timeout=180)
    assert child.returncode == -signal.SIGKILL
    assert len(smtp.deliveries) == kill_after
    # Every email before the one in flight is recorded as sent; the one in flight and the rest
    # of its batch are still claimed, the batches after it still queued.
    batch_end = min(AUDIENCE, (kill_after - 1) // REMOTE_BATCH * REMOTE_BATCH + REMOTE_BATCH)
    assert Counter(e.status for e in store.outbox_emails(run_id=started.run_id)) == {
        status: count
        for status, count in [
            ("sent", kill_after - 1),
            ("sending", batch_end - kill_after + 1),
            ("queued", AUDIENCE - batch_end),
        ]
        if count
    }

    # The claimer is dead: at once (not after the 15-minute lease), the email in flight is in
    # doubt and the rest of its batch goes back to the queue, for the resume to send once.
    outcome = desk.resume(started.run_id, APPROVER)
    assert outcome.status == "partial"
    assert outcome.result.in_doubt == 1
    run = store.get_run(started.run_id)
    assert run.error is not None and run.error.startswith(f"1 in doubt of {AUDIENCE}")
    assert accounted(store, started.run_id, smtp) == {"sent": AUDIENCE - 1, "in_doubt": 1}
    (doubt,) = store.outbox_emails(run_id=started.run_id, status="in_doubt")
    assert [d.recipients for d in smtp.deliveries][kill_after - 1] == (
        doubt.recipient.strip().lower(),
    )
    assert len(smtp.deliveries) == AUDIENCE
    with pytest.raises(Exception, match="nothing left to do"):
        desk.resume(started.run_id, APPROVER)
