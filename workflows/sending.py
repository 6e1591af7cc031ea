"""Email, exactly once per (run, customer), on top of the state store's outbox table.

1. ``queue_emails``: every approved email becomes one outbox row; UNIQUE(run_id, customer_id)
   makes queuing idempotent, so a re-run of the send step (a crash, a double approval) queues
   nothing new.
2. ``send_queued``: for each unsettled row of the run: claim it (queued → sending, a conditional
   update with a fresh token: of two senders only one gets it), check the suppression list *now*
   (an unsubscribe between approval and sending is honoured), send with the idempotency key
   ``"<run id>:<customer id>"``, then mark it sent (conditional on the token).

A crash (kill -9) between the provider's acceptance and "mark sent" leaves a row in ``sending``.
What resuming does with it depends on the sender:

- **Idempotent senders** (the local outbox: the ``.eml`` file is named by the key and a resend of
  an existing file is a no-op): the row is claimed again and re-sent — which writes nothing when
  the file is there — then marked sent. Exactly once.
- **SMTP and SendGrid** cannot say whether they accepted the email: once its claim is older than
  the lease, the row is moved to ``in_doubt`` and **not** re-sent; it is counted in the report and
  the audit log for a person to check the provider's activity by its deterministic Message-ID.
  At most once for those rows: a missing email is better than a duplicate one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import quote

from integrations.email import (
    EmailRejectedError,
    EmailSender,
    EmailUnavailableError,
    LocalOutboxSender,
    OutgoingEmail,
)
from integrations.statestore import StateStore

logger = logging.getLogger(__name__)

# A claim older than this is taken to be a crashed sender's (non-idempotent senders only).
SEND_LEASE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class CampaignEmail:
    """One approved email, before it is queued."""

    customer_id: int
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one pass of ``send_queued`` did, and where the run's outbox stands after it."""

    sent_now: int
    sent: int
    suppressed: int
    failed: int
    in_doubt: int
    queued: int

    def as_dict(self) -> dict[str, int]:
        return {
            "sent_now": self.sent_now,
            "sent": self.sent,
            "suppressed": self.suppressed,
            "failed": self.failed,
            "in_doubt": self.in_doubt,
            "queued": self.queued,
        }


def idempotency_key(run_id: str, customer_id: int) -> str:
    """The key that makes a resend of the same email recognisably the same."""
    return f"{run_id}:{customer_id}"


def unsubscribe_url(email_from: str, customer_id: int) -> str:
    """A ``mailto:`` unsubscribe address on the sender's domain (RFC 2369)."""
    domain = parseaddr(email_from)[1].rpartition("@")[2] or "localhost"
    return f"mailto:unsubscribe@{domain}?subject={quote(f'unsubscribe {customer_id}')}"


def is_idempotent(sender: EmailSender) -> bool:
    """Whether sending the same key twice delivers once (only the local outbox promises it)."""
    return isinstance(sender, LocalOutboxSender)


def queue_emails(state: StateStore, run_id: str, emails: Sequence[CampaignEmail]) -> int:
    """Queue one outbox row per (run, customer); queuing again adds nothing. Returns the rows."""
    for email in emails:
        state.queue_email(
            run_id,
            email.customer_id,
            recipient=email.recipient,
            subject=email.subject,
            body=email.body,
        )
    return len(state.outbox_emails(run_id=run_id))


def send_queued(
    state: StateStore,
    run_id: str,
    sender: EmailSender,
    *,
    email_from: str,
    lease: timedelta = SEND_LEASE,
) -> SendReport:
    """Send every queued email of a run exactly once (see the module docstring).

    Raises ``EmailUnavailableError`` when the provider is unreachable: the email being sent goes
    back to the queue and a later resume continues from there.
    """
    idempotent = is_idempotent(sender)
    if not idempotent:
        stuck = state.mark_emails_in_doubt(run_id, claimed_before=datetime.now(UTC) - lease)
        if stuck:
            logger.warning(
                "run %s: %d emails were being sent through %s when a sender stopped; not "
                "re-sending them (check the provider's activity by Message-ID)",
                run_id,
                stuck,
                sender.name,
            )
    sent_now = 0
    for row in state.outbox_emails(run_id=run_id):
        if row.status not in ("queued", "sending"):
            continue
        token = uuid.uuid4().hex
        if not state.claim_email(row.email_id, token, take_over_sending=idempotent):
            continue
        if state.is_suppressed(row.recipient):
            state.finish_email(row.email_id, token, "suppressed")
            continue
        email = OutgoingEmail(
            idempotency_key=idempotency_key(run_id, row.customer_id),
            sender=email_from,
            recipient=row.recipient,
            subject=row.subject,
            text=row.body,
            unsubscribe_url=unsubscribe_url(email_from, row.customer_id),
        )
        try:
            message_id = sender.send(email)
        except EmailRejectedError as error:
            state.finish_email(row.email_id, token, "failed", error=str(error))
            continue
        except EmailUnavailableError:
            state.finish_email(row.email_id, token, "queued")
            raise
        if state.finish_email(row.email_id, token, "sent", provider_message_id=message_id):
            sent_now += 1
    return outbox_report(state, run_id, sent_now=sent_now)


def outbox_report(state: StateStore, run_id: str, *, sent_now: int = 0) -> SendReport:
    """Counts of a run's outbox rows by status."""
    rows = state.outbox_emails(run_id=run_id)

    def count(*statuses: str) -> int:
        return sum(1 for row in rows if row.status in statuses)

    return SendReport(
        sent_now=sent_now,
        sent=count("sent"),
        suppressed=count("suppressed"),
        failed=count("failed"),
        in_doubt=count("in_doubt"),
        queued=count("queued", "sending"),
    )
