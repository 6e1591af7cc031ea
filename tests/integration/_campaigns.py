"""A win-back approval desk for tests, and the same desk as a separate process.

``python -m tests.integration._campaigns approve RUN …`` decides a run in its own process (the
"approve from another process" and "two approvals at once" tests); ``--kill-after N`` makes the
outbox sender SIGKILL its own process right after writing its N-th email, before the state store
hears of it — the worst moment of a crash.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import policies
from integrations.email import EmailSender, LocalOutboxSender, OutgoingEmail
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

    def send(self, email: OutgoingEmail) -> str:
        message_id = super().send(email)
        self.written += 1
        if self.written >= self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return message_id


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
    parser.add_argument("--start-at", type=float, help="wait until this time.time() to decide")
    args = parser.parse_args()
    store = StateStore(args.db)
    sender = DyingOutbox(args.outbox, args.kill_after) if args.kill_after else None
    desk = make_desk(
        store, args.db, args.warehouse, args.outbox, audience_cap=args.audience_cap, sender=sender
    )
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    try:
        outcome = desk.decide(args.run_id, "approved", APPROVER)
    except AlreadyDecidedError as refusal:
        sys.stdout.write(f"refused: {refusal}\n")
        return 3
    sys.stdout.write(f"{outcome.status}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
