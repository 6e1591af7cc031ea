"""A win-back approval desk for tests, and the same desk as a separate process.

``python -m tests.integration._campaigns approve RUN …`` decides a run in its own process (the
"approve from another process" and "two approvals at once" tests); ``--kill-after N`` makes the
outbox sender SIGKILL its own process right after writing its N-th email, before the state store
hears of it — the worst moment of a crash. ``--smtp-url URL`` sends through that SMTP server
instead (with ``--kill-after N``: killed right after the server accepted its N-th email).
``--task TASK`` decides as a delivery of that queue task, as a ``controlroom worker`` would.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import policies
from integrations.email import (
    EmailSender,
    EmailSession,
    LocalOutboxSender,
    OutgoingEmail,
    SmtpSender,
)
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from workflows.approvals import AlreadyDecidedError, ApprovalDesk
from workflows.winback import winback_spec

APPROVER = "U0APPROVER"
EMAIL_FROM = "Two Peaks <hello@twopeaks.example.com>"


class DyingOutbox(LocalOutboxSender):
    """The local outbox, killed (-9) right after writing its ``kill_after``-th email."""

    def __init__(self, folder: Path, kill_after: int) -> None:
        super().__init__(folder)
        self.kill_after = kill_after
        self.written = 0

    @contextmanager
    def session(self) -> Iterator[EmailSession]:
        with super().session() as session:
            yield _Dying(self, session)


class _Dying:
    def __init__(self, outbox: DyingOutbox, session: EmailSession) -> None:
        self._outbox = outbox
        self._session = session

    def send(self, email: OutgoingEmail) -> str:
        message_id = self._session.send(email)
        self._outbox.written += 1
        if self._outbox.written >= self._outbox.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return message_id


class DyingSmtp(SmtpSender):
    """The SMTP sender, killed (-9) right after the server accepted its ``kill_after``-th email."""

    def __init__(self, url: str, kill_after: int) -> None:
        super().__init__(url)
        self.kill_after = kill_after
        self.delivered = 0

    @contextmanager
    def session(self) -> Iterator[EmailSession]:
        with super().session() as session:
            yield _DyingSmtpSession(self, session)


class _DyingSmtpSession:
    def __init__(self, sender: DyingSmtp, session: EmailSession) -> None:
        self._sender = sender
        self._session = session

    def send(self, email: OutgoingEmail) -> str:
        message_id = self._session.send(email)
        self._sender.delivered += 1
        if self._sender.delivered >= self._sender.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return message_id


def _sender(args: argparse.Namespace) -> EmailSender | None:
    """The sender the command line asks for: SMTP or the outbox, dying or not (None: the
    desk's default outbox)."""
    if args.smtp_url:
        return (
            DyingSmtp(args.smtp_url, args.kill_after)
            if args.kill_after
            else SmtpSender(args.smtp_url)
        )
    return DyingOutbox(args.outbox, args.kill_after) if args.kill_after else None


def make_desk(
    store: StateStore,
    database_url: str,
    warehouse: Path,
    outbox: Path,
    *,
    audience_cap: int = 5,
    sender: EmailSender | None = None,
) -> ApprovalDesk:
    loaded = policies.load_policies(Path(policies.__file__).parent)
    winback = loaded.winback.model_copy(update={"audience_cap": audience_cap})
    spec = winback_spec(
        warehouse=Warehouse(warehouse),
        state=store,
        sender=sender or LocalOutboxSender(outbox),
        policy=winback,
        rfm=loaded.rfm,
        email_from=EMAIL_FROM,
    )
    return ApprovalDesk(
        state=store,
        database_url=database_url,
        policy=loaded.approvals,
        workflows={"winback": spec},
        timezone=loaded.schedule.timezone,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["approve"])
    parser.add_argument("run_id")
    parser.add_argument("--db", required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--outbox", type=Path, required=True)
    parser.add_argument("--audience-cap", type=int, default=5)
    parser.add_argument("--kill-after", type=int)
    parser.add_argument("--smtp-url", help="send through this SMTP server, not the outbox")
    parser.add_argument("--start-at", type=float, help="wait until this time.time() to decide")
    parser.add_argument("--task", help="decide as a delivery of this queue task")
    args = parser.parse_args()
    store = StateStore(args.db)
    sender = _sender(args)
    desk = make_desk(
        store, args.db, args.warehouse, args.outbox, audience_cap=args.audience_cap, sender=sender
    )
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    if args.task:
        store.pick_up_task(args.task, max_deliveries=3)
    try:
        with store.working_on(args.task) if args.task else nullcontext():
            outcome = desk.decide(args.run_id, "approved", APPROVER)
    except AlreadyDecidedError as refusal:
        sys.stdout.write(f"refused: {refusal}\n")
        return 3
    sys.stdout.write(f"{outcome.status}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
