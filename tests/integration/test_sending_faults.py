"""Sending through a faulty SMTP server: every recipient delivered once, or accounted for.

The real ``send_queued`` and ``SmtpSender`` against ``tests.fakes.smtp_server``; deliveries are
counted on the server's side. After each fault, every row is sent (and delivered exactly once),
failed or in doubt (delivered at most once), or still queued (never delivered) — and a resume
once the fault is cleared delivers the queued ones exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from integrations.email import (
    EmailConfigError,
    EmailSession,
    EmailUnavailableError,
    OutgoingEmail,
    SmtpSender,
)
from integrations.statestore import StateStore
from tests.fakes.smtp_server import FaultySmtpServer
from tests.integration._campaigns import EMAIL_FROM
from workflows.sending import (
    REMOTE_BATCH,
    CampaignEmail,
    SendOptions,
    SendReport,
    queue_emails,
    send_queued,
)

OPTIONS = SendOptions(email_from=EMAIL_FROM, backoff_seconds=0.01)
PASSWORD = "s3cret"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp() -> Iterator[FaultySmtpServer]:
    with FaultySmtpServer() as server:
        yield server


def address(customer_id: int) -> str:
    return f"customer{customer_id}@example.com"


def queue(store: StateStore, count: int, **odd: tuple[str, str]) -> str:
    """A run with ``count`` emails queued; ``odd`` replaces a row's (recipient, subject), keyed
    ``c<customer id>``."""
    run = store.start_run("winback", started_by="tester", trigger="cli")
    emails = []
    for customer_id in range(1, count + 1):
        recipient, subject = odd.get(f"c{customer_id}", (address(customer_id), "We miss you"))
        emails.append(CampaignEmail(customer_id, recipient, subject, "Hi,\n\n15% off boots."))
    queue_emails(store, run.run_id, emails)
    return run.run_id


def accounted(store: StateStore, run_id: str, smtp: FaultySmtpServer) -> Counter[str]:
    """Check every row against the server's deliveries; return the rows' statuses."""
    delivered = smtp.delivered()
    rows = store.outbox_emails(run_id=run_id)
    assert max(delivered.values(), default=0) <= 1, f"delivered twice: {delivered}"
    for row in rows:
        times = delivered.get(row.recipient.strip().lower(), 0)
        if row.status == "sent":
            assert times == 1, f"{row.recipient} is sent but was delivered {times} times"
        elif row.status in ("failed", "queued"):
            assert times == 0, f"{row.recipient} is {row.status} but was delivered"
        else:
            assert row.status == "in_doubt", f"{row.recipient} left {row.status}"
    # Nothing reached an address that is not some row's recipient.
    assert set(delivered) <= {r.recipient.strip().lower() for r in rows}
    return Counter(row.status for row in rows)


def send(store: StateStore, run_id: str, url: str, *, timeout: float = 5) -> SendReport:
    return send_queued(store, run_id, SmtpSender(url, timeout=timeout), OPTIONS)


def test_every_email_goes_once_over_one_smtp_connection(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, 2 * REMOTE_BATCH + 5)
    report = send(store, run_id, smtp.url())
    assert (report.sent, report.problem) == (45, None)
    assert accounted(store, run_id, smtp) == {"sent": 45}
    assert len({d.connection for d in smtp.deliveries}) == 1
    assert send(store, run_id, smtp.url()).sent_now == 0
    assert len(smtp.deliveries) == 45


def test_a_554_for_one_recipient_fails_only_that_email(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, 10)
    smtp.reject_at_data = address(4)
    report = send(store, run_id, smtp.url())
    assert accounted(store, run_id, smtp) == {"sent": 9, "failed": 1}
    assert report.problem == "1 failed of 10 emails"
    (failed,) = store.outbox_emails(run_id=run_id, status="failed")
    assert failed.recipient == address(4)
    assert failed.error is not None and "554" in failed.error


def test_a_550_at_rcpt_for_one_recipient_fails_only_that_email(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, 10)
    smtp.reject_at_rcpt = address(7)
    report = send(store, run_id, smtp.url())
    assert accounted(store, run_id, smtp) == {"sent": 9, "failed": 1}
    assert report.problem == "1 failed of 10 emails"
    (failed,) = store.outbox_emails(run_id=run_id, status="failed")
    assert failed.error is not None and "550" in failed.error


def test_a_header_no_mail_may_carry_fails_only_its_own_email(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    odd = {
        "c2": (address(2), "Hello\u2028Bcc: evil@example.net"),
        "c3": (address(3), "Hello\r\nBcc: evil@example.net"),
        "c5": (f"{address(5)}\r\nBcc: evil@example.net", "We miss you"),
        "c6": (f"{address(6)}\u2028", "We miss you"),
        "c7": (f"{address(7)}, evil@example.net", "We miss you"),
    }
    run_id = queue(store, 10, **odd)
    report = send(store, run_id, smtp.url())
    assert accounted(store, run_id, smtp) == {"sent": 5, "failed": 5}
    assert report.problem == "5 failed of 10 emails"
    assert "evil@example.net" not in smtp.delivered()
    assert all("Bcc" not in d.subject for d in smtp.deliveries)


def test_a_non_ascii_local_part_fails_alone_and_never_stops_the_send(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    # No SMTPUTF8: an address whose local part is not ASCII cannot be sent; that row fails.
    run_id = queue(store, 6, c3=("josé@example.com", "We miss you"))
    send(store, run_id, smtp.url())
    assert accounted(store, run_id, smtp) == {"sent": 5, "failed": 1}
    assert all(smtp.delivered()[address(c)] == 1 for c in (1, 2, 4, 5, 6))


def test_an_international_domain_is_delivered_once_in_its_ascii_form(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, 1, c1=("jose@exämple.com", "Hi"))
    report = send(store, run_id, smtp.url())
    assert (report.sent, report.problem) == (1, None)
    assert smtp.delivered()["jose@xn--exmple-cua.com"] == 1


@pytest.mark.parametrize("code", [451, 421])
def test_a_few_temporary_refusals_are_retried_and_every_email_goes_once(
    store: StateStore, smtp: FaultySmtpServer, code: int
) -> None:
    run_id = queue(store, 10)
    smtp.fail_next(3, code)
    report = send(store, run_id, smtp.url())
    assert (report.sent, report.problem) == (10, None)
    assert accounted(store, run_id, smtp) == {"sent": 10}


@pytest.mark.parametrize("code", [451, 421])
def test_a_temporary_refusal_of_the_message_itself_is_retried_not_taken_as_sent(
    store: StateStore, smtp: FaultySmtpServer, code: int
) -> None:
    run_id = queue(store, 5)
    smtp.fail_next(2, code, commands=("EOM",))
    report = send(store, run_id, smtp.url())
    assert (report.sent, report.problem) == (5, None)
    assert accounted(store, run_id, smtp) == {"sent": 5}


@pytest.mark.parametrize("code", [451, 421])
def test_a_lasting_temporary_refusal_stops_the_send_with_the_rest_queued_for_a_resume(
    store: StateStore, smtp: FaultySmtpServer, code: int
) -> None:
    run_id = queue(store, REMOTE_BATCH + 10)

    def after_the_first_batch(report: SendReport) -> None:
        if report.sent_now == REMOTE_BATCH:
            smtp.fail_next(1000, code)

    sender = SmtpSender(smtp.url(), timeout=5)
    with pytest.raises(EmailUnavailableError, match=f"answered {code}"):
        send_queued(store, run_id, sender, OPTIONS, on_progress=after_the_first_batch)
    assert accounted(store, run_id, smtp) == {"sent": REMOTE_BATCH, "queued": 10}

    smtp.clear_faults()
    report = send(store, run_id, smtp.url())
    assert (report.sent_now, report.problem) == (10, None)
    assert accounted(store, run_id, smtp) == {"sent": REMOTE_BATCH + 10}


def test_a_server_that_stops_listening_mid_send_leaves_the_rest_queued_for_a_resume(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, REMOTE_BATCH + 10)

    def after_the_first_batch(report: SendReport) -> None:
        if report.sent_now == REMOTE_BATCH:
            smtp.refuse_connections()

    sender = SmtpSender(smtp.url(), timeout=5)
    with pytest.raises(EmailUnavailableError, match="SMTP server 127.0.0.1"):
        send_queued(store, run_id, sender, OPTIONS, on_progress=after_the_first_batch)
    assert accounted(store, run_id, smtp) == {"sent": REMOTE_BATCH, "queued": 10}

    smtp.accept_connections()
    assert send(store, run_id, smtp.url()).sent_now == 10
    assert accounted(store, run_id, smtp) == {"sent": REMOTE_BATCH + 10}


def test_a_server_that_never_answers_leaves_every_email_queued_for_a_resume(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, 5)
    smtp.hang_on_connect = True
    with pytest.raises(EmailUnavailableError, match="timed out"):
        send(store, run_id, smtp.url(), timeout=0.3)
    assert accounted(store, run_id, smtp) == {"queued": 5}

    smtp.clear_faults()
    assert send(store, run_id, smtp.url()).sent_now == 5
    assert accounted(store, run_id, smtp) == {"sent": 5}


@pytest.mark.parametrize("fault", ["hang_at_data", "drop_after_data"])
def test_no_answer_after_the_message_leaves_that_email_in_doubt_never_resent(
    store: StateStore, smtp: FaultySmtpServer, fault: str
) -> None:
    run_id = queue(store, 10)
    setattr(smtp, fault, address(3))
    report = send(store, run_id, smtp.url(), timeout=0.5)
    assert accounted(store, run_id, smtp) == {"sent": 9, "in_doubt": 1}
    assert report.problem == "1 in doubt of 10 emails"
    (doubt,) = store.outbox_emails(run_id=run_id, status="in_doubt")
    assert doubt.recipient == address(3)
    # The server dropping the line had taken the message: the row carries its Message-ID.
    if fault == "drop_after_data":
        (taken,) = [d for d in smtp.deliveries if d.recipients == (address(3),)]
        assert doubt.provider_message_id == taken.message_id

    smtp.clear_faults()
    assert send(store, run_id, smtp.url()).sent_now == 0
    assert accounted(store, run_id, smtp) == {"sent": 9, "in_doubt": 1}


def test_a_refused_login_fails_no_email_and_a_fixed_password_sends_each_once(
    store: StateStore,
) -> None:
    run_id = queue(store, 5)
    with FaultySmtpServer(password=PASSWORD) as smtp:
        with pytest.raises(EmailConfigError, match="535.*check SMTP_URL"):
            send(store, run_id, smtp.url(password="wrong"))
        assert smtp.logins_refused >= 1
        assert accounted(store, run_id, smtp) == {"queued": 5}

        assert send(store, run_id, smtp.url(password=PASSWORD)).sent_now == 5
        assert accounted(store, run_id, smtp) == {"sent": 5}


class _StoppedSmtp(SmtpSender):
    """SMTP whose process is told to stop (``SystemExit``, as on SIGTERM) right after the
    server accepted its ``stop_after``-th email, before the send could record it."""

    def __init__(self, url: str, stop_after: int) -> None:
        super().__init__(url, timeout=5)
        self.stop_after = stop_after
        self.delivered = 0

    @contextmanager
    def session(self) -> Iterator[EmailSession]:
        with super().session() as session:
            yield _StoppingSession(self, session)


class _StoppingSession:
    def __init__(self, sender: _StoppedSmtp, session: EmailSession) -> None:
        self._sender = sender
        self._session = session

    def send(self, email: OutgoingEmail) -> str:
        message_id = self._session.send(email)
        self._sender.delivered += 1
        if self._sender.delivered >= self._sender.stop_after:
            raise SystemExit("stopped")
        return message_id


def test_a_send_stopped_mid_batch_leaves_the_email_in_flight_in_doubt_and_requeues_the_rest(
    store: StateStore, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, 2 * REMOTE_BATCH + 5)
    with pytest.raises(SystemExit):
        send_queued(store, run_id, _StoppedSmtp(smtp.url(), REMOTE_BATCH + 5), OPTIONS)
    # The 25th was delivered, its answer never recorded; the rest of its batch never left.
    assert accounted(store, run_id, smtp) == {
        "sent": REMOTE_BATCH + 4,
        "in_doubt": 1,
        "queued": REMOTE_BATCH,
    }
    (doubt,) = store.outbox_emails(run_id=run_id, status="in_doubt")
    assert doubt.recipient == address(REMOTE_BATCH + 5)

    assert send(store, run_id, smtp.url()).sent_now == REMOTE_BATCH
    assert accounted(store, run_id, smtp) == {"sent": 2 * REMOTE_BATCH + 4, "in_doubt": 1}
    assert len(smtp.deliveries) == 2 * REMOTE_BATCH + 5


# Sends a run through SMTP and is killed (-9) right after the server accepted its N-th email.
_KILLED_SEND = """
import sys
from integrations.statestore import StateStore
from tests.integration._campaigns import DyingSmtp
from tests.integration.test_sending_faults import OPTIONS
from workflows.sending import send_queued

url, run_id, smtp_url, kill_after = sys.argv[1:]
send_queued(StateStore(url), run_id, DyingSmtp(smtp_url, int(kill_after)), OPTIONS)
"""


@pytest.mark.slow  # a second process: ~2 s for each database
def test_a_send_killed_mid_batch_leaves_one_email_in_doubt_and_the_resume_sends_the_rest_once(
    store: StateStore, database_url: str, smtp: FaultySmtpServer
) -> None:
    run_id = queue(store, 2 * REMOTE_BATCH + 5)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_SEND, database_url, run_id, smtp.url(), "25"],
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL
    assert len(smtp.deliveries) == 25
    # Every email before the 25th is recorded; the 25th and the rest of its batch are claimed.
    assert Counter(e.status for e in store.outbox_emails(run_id=run_id)) == {
        "sent": 24,
        "sending": REMOTE_BATCH - 4,
        "queued": 5,
    }

    # The claimer is dead: only its email in flight is in doubt, the rest are sent once.
    report = send(store, run_id, smtp.url())
    assert (report.sent_now, report.problem) == (REMOTE_BATCH, "1 in doubt of 45 emails")
    assert accounted(store, run_id, smtp) == {"sent": 44, "in_doubt": 1}
    (doubt,) = store.outbox_emails(run_id=run_id, status="in_doubt")
    assert doubt.recipient == address(25)
    assert len(smtp.deliveries) == 45
