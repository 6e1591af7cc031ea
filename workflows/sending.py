"""Email, exactly once per (run, customer) and at most once per person per cap window.

1. ``queue_emails``: the approved emails become outbox rows in one transaction;
   UNIQUE(run_id, customer_id) makes it idempotent (a re-run of the send step queues nothing new).
2. ``send_queued``: claims the run's rows in batches (``Outbox.claim_emails``: suppressed and
   capped rows are settled in the same transaction, across every campaign) and sends each
   through one provider session. The local outbox settles a batch's results in one transaction;
   SMTP and SendGrid record each email's attempt just before handing it over, with the previous
   email's result in the same transaction (``Outbox.attempt_email``).

What can go wrong, and what each row becomes:

- this email refused (bad address, a 5xx for it, a header no mail may carry): ``failed``, with
  why; the rest go on;
- the provider unavailable (refused connection, 4xx, lost connection before the message):
  retried with backoff, then the send stops with the row back in the queue and the run failed
  "unavailable": ``approvals resume`` continues from there;
- our login, key or sender refused: the send stops at once, every unsent row still queued, the
  run failed with what to fix; ``resume`` sends them once fixed;
- the connection lost after the message was handed over, or the sending process killed or
  interrupted: the provider may have the email in flight. **Idempotent senders** (the local
  outbox: the ``.eml`` file is named by the key) simply send their whole batch again. For
  **SMTP and SendGrid** only that one email — attempted, its answer unrecorded — becomes
  ``in_doubt``, at once when the process that claimed it is dead on this host (or stopped
  itself), after the lease otherwise; the rest of its batch was either recorded or never tried,
  and goes back to the queue for the resume. An email in doubt is never re-sent automatically;
  ``controlroom outbox list --status in_doubt`` shows each with its Message-ID and ``outbox
  settle`` records a person's verdict. At most once: a missing email is better than a
  duplicate.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from integrations.email import (
    EmailConfigError,
    EmailInDoubtError,
    EmailRejectedError,
    EmailSender,
    EmailSession,
    EmailUnavailableError,
    OutgoingEmail,
)
from integrations.email.message import sender_parts
from integrations.statestore import (
    OutboxEmail,
    QueuedEmail,
    Settlement,
    StateStore,
    process_died,
)

logger = logging.getLogger(__name__)

# A claim older than this is taken to be a crashed sender's, when its process cannot be checked
# (another host). Non-idempotent senders only.
SEND_LEASE = timedelta(minutes=15)
# Rows per claim. The local outbox re-sends its own batch harmlessly after a crash. A remote
# provider's claim is checked against the frequency cap as a whole and its rows stay claimed
# (counted as maybe emailed by other campaigns) until settled, so it is kept small.
IDEMPOTENT_BATCH = 250
REMOTE_BATCH = 20
# Tries per email while the provider is unavailable, and the first pause between them (doubled).
UNAVAILABLE_TRIES = 4
FIRST_BACKOFF_SECONDS = 1.0

CampaignEmail = QueuedEmail


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one pass of ``send_queued`` did, and where the run's outbox stands after it."""

    sent_now: int
    sent: int
    suppressed: int
    capped: int
    failed: int
    in_doubt: int
    queued: int

    @property
    def total(self) -> int:
        return self.sent + self.suppressed + self.capped + self.failed + self.in_doubt + self.queued

    @property
    def problem(self) -> str | None:
        """Why the send is not wholly done (failed or in-doubt rows), or None."""
        parts = []
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.in_doubt:
            parts.append(f"{self.in_doubt} in doubt")
        return f"{' and '.join(parts)} of {self.total} emails" if parts else None

    def as_dict(self) -> dict[str, int]:
        return {
            "sent_now": self.sent_now,
            "sent": self.sent,
            "suppressed": self.suppressed,
            "capped": self.capped,
            "failed": self.failed,
            "in_doubt": self.in_doubt,
            "queued": self.queued,
        }


Progress = Callable[[SendReport], None]
# (address, customer id) → the HTTPS one-click unsubscribe link for that email.
OneClickLinks = Callable[[str, int], str]


def idempotency_key(run_id: str, customer_id: int) -> str:
    """The key that makes a resend of the same email recognisably the same."""
    return f"{run_id}:{customer_id}"


def unsubscribe_url(email_from: str, customer_id: int) -> str:
    """A ``mailto:`` unsubscribe address on the sender's domain (RFC 2369)."""
    domain = sender_parts(email_from)[2]
    return f"mailto:unsubscribe@{domain}?subject={quote(f'unsubscribe {customer_id}')}"


def queue_emails(state: StateStore, run_id: str, emails: Sequence[CampaignEmail]) -> int:
    """Queue one outbox row per (run, customer); queuing again adds nothing. Returns the rows."""
    state.queue_emails(run_id, emails)
    return sum(state.outbox_counts(run_id).values())


@dataclass(frozen=True, slots=True)
class SendOptions:
    """How a send is made: the From address, the frequency cap, the one-click link maker."""

    email_from: str
    frequency_cap: timedelta | None = None
    one_click_url: OneClickLinks | None = None
    lease: timedelta = SEND_LEASE
    backoff_seconds: float = FIRST_BACKOFF_SECONDS


def send_queued(
    state: StateStore,
    run_id: str,
    sender: EmailSender,
    options: SendOptions,
    *,
    on_progress: Progress | None = None,
) -> SendReport:
    """Send every queued email of a run (module docstring); ``on_progress`` hears the counts
    before the first batch and after each. Raises ``EmailConfigError`` or
    ``EmailUnavailableError`` when the send had to stop; every row not sent is then still
    queued for a resume."""
    if not sender.idempotent:
        _put_dead_claims_in_doubt(state, run_id, sender, options.lease)
    cap_since = datetime.now(UTC) - options.frequency_cap if options.frequency_cap else None
    batch_size = IDEMPOTENT_BATCH if sender.idempotent else REMOTE_BATCH
    sent_now = 0
    if on_progress is not None:
        on_progress(outbox_report(state, run_id))
    token = uuid.uuid4().hex
    try:
        with sender.session() as session:
            while True:
                batch = state.claim_emails(
                    run_id,
                    token,
                    limit=batch_size,
                    take_over_sending=sender.idempotent,
                    cap_since=cap_since,
                )
                if not batch.emails and not (batch.suppressed or batch.capped):
                    break
                sent_now += _send_batch(
                    state, token, session, sender, batch.emails, run_id, options
                )
                if on_progress is not None:
                    on_progress(outbox_report(state, run_id, sent_now=sent_now))
    finally:
        state.release_claims(token, reason=_doubt(sender))
    return outbox_report(state, run_id, sent_now=sent_now)


def _send_batch(
    state: StateStore,
    token: str,
    session: EmailSession,
    sender: EmailSender,
    rows: Sequence[OutboxEmail],
    run_id: str,
    options: SendOptions,
) -> int:
    """Send one claimed batch; returns how many went. The local outbox's results are settled
    together at the end (it re-sends harmlessly). A non-idempotent sender records each attempt
    before it, with the previous email's result (one commit per email): if it dies, only the
    email in flight is in doubt, and an attempt it never recorded is queued again."""
    unsettled: list[Settlement] = []  # results not yet recorded: the last one, remote
    sent = 0
    try:
        for row in rows:
            if not sender.idempotent:
                previous = unsettled[-1] if unsettled else None
                attempted = state.attempt_email(token, row.email_id, previous)
                unsettled.clear()
                if not attempted:  # the claim was taken over meanwhile (past the lease)
                    continue
            try:
                settlement = _send_one(session, row, run_id, options)
            except (EmailConfigError, EmailUnavailableError):
                # Not delivered (``_send_one`` settles a lost answer as in doubt): queued again.
                unsettled.append(Settlement(row.email_id, "queued"))
                raise
            unsettled.append(settlement)
            sent += settlement.status == "sent"
    finally:
        state.settle_emails(token, unsettled)
    return sent


def _send_one(
    session: EmailSession, row: OutboxEmail, run_id: str, options: SendOptions
) -> Settlement:
    """One email through the session: its settlement, retrying while the provider is
    unavailable; raises when the whole send must stop."""
    try:
        one_click = options.one_click_url and options.one_click_url(row.recipient, row.customer_id)
    except ValueError as error:
        return Settlement(row.email_id, "failed", error=str(error))
    email = OutgoingEmail(
        idempotency_key=idempotency_key(run_id, row.customer_id),
        sender=options.email_from,
        recipient=row.recipient,
        subject=row.subject,
        text=row.body,
        unsubscribe_url=unsubscribe_url(options.email_from, row.customer_id),
        one_click_url=one_click or None,
    )
    # A provider unavailable for now is tried again with backoff; in doubt is never retried.
    retrying = Retrying(
        retry=retry_if_exception_type(EmailUnavailableError)
        & retry_if_not_exception_type(EmailInDoubtError),
        stop=stop_after_attempt(UNAVAILABLE_TRIES),
        wait=wait_exponential(multiplier=options.backoff_seconds),
        before_sleep=before_sleep_log(logger, logging.WARNING),
        reraise=True,
    )
    try:
        message_id = retrying(session.send, email)
    except EmailRejectedError as error:
        return Settlement(row.email_id, "failed", error=str(error))
    except EmailInDoubtError as error:
        return Settlement(
            row.email_id, "in_doubt", provider_message_id=email.message_id, error=str(error)
        )
    return Settlement(row.email_id, "sent", provider_message_id=message_id)


def _put_dead_claims_in_doubt(
    state: StateStore, run_id: str, sender: EmailSender, lease: timedelta
) -> None:
    """Of the rows claimed by a process that died (on this host) or longer ago than the lease,
    the one it was sending may have been delivered: in doubt, never re-sent. The rest of its
    claim never left: queued again."""
    dead = [name for name in state.sending_processes(run_id) if process_died(name)]
    stuck = state.mark_emails_in_doubt(
        run_id, processes=dead, claimed_before=datetime.now(UTC) - lease, reason=_doubt(sender)
    )
    if stuck:
        logger.warning("run %s: %d emails in doubt (their sender stopped)", run_id, stuck)


def _doubt(sender: EmailSender) -> str:
    """Why an email handed to the provider, its answer never recorded, is in doubt."""
    return (
        f"the process sending it through {sender.name} stopped before the provider answered; "
        "check the provider's activity for its Message-ID"
    )


def refresh_run_status(state: StateStore, run_id: str) -> SendReport:
    """After a person settled emails in doubt: a finished campaign run is partial while any of
    its emails failed or are in doubt, succeeded once none are."""
    report = outbox_report(state, run_id)
    if state.get_run(run_id).status in ("partial", "succeeded") and not report.queued:
        problem = report.problem
        state.finish_run(run_id, "partial" if problem else "succeeded", error=problem)
    return report


def outbox_report(state: StateStore, run_id: str, *, sent_now: int = 0) -> SendReport:
    """Counts of a run's outbox rows by status."""
    counts = state.outbox_counts(run_id)
    return SendReport(
        sent_now=sent_now,
        sent=counts.get("sent", 0),
        suppressed=counts.get("suppressed", 0),
        capped=counts.get("capped", 0),
        failed=counts.get("failed", 0),
        in_doubt=counts.get("in_doubt", 0),
        queued=counts.get("queued", 0) + counts.get("sending", 0),
    )
