"""Sending a campaign: emails per second through the local outbox and through SMTP.

    python bench/send.py                       # 1,000 emails, 3 runs, SQLite and PostgreSQL
    python bench/send.py --emails 5000 --runs 5 --no-postgres

Each run queues ``--emails`` emails for a fresh run (``queue_emails``) and sends them all
(``send_queued``) on a fresh state store: a SQLite file in a temporary folder, and a temporary
database on the PostgreSQL server at ``--postgres`` (created and dropped; skipped when it cannot
be reached). The senders: the local outbox (``.eml`` files in the temporary folder) and SMTP to
a local aiosmtpd server that accepts and counts every message. The figure is the median over
the runs of emails / (queue + send seconds); queue and send are also shown apart. Asserts
nothing but that every email was sent. Issue 13's target: 1,000 emails to the local outbox in
under 2 s, held as over 500 emails/s in this bench's section of ``var/bench/latest.md``
(``bench/figures.py``).

It also runs on the code before the sending rewrite (c32c5c2, whose ``send_queued`` took
``email_from=`` instead of ``SendOptions``) for the before/after figure:
``PYTHONPATH=<a worktree at c32c5c2> python bench/send.py``.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

sys.path.append(str(Path(__file__).resolve().parents[1]))  # run as a script: bench.figures

import workflows.sending as sending
from bench.figures import Figures, Target
from bench.scale_processes import throwaway_database
from integrations.email import LocalOutboxSender, SmtpSender
from integrations.statestore import StateStore

EMAIL_FROM = "Two Peaks <hello@twopeaks.example.com>"
BODY = (
    "Hi Avery,\n\nIt has been a while since your last order. Here is 15% off your next pair "
    "of boots with the code COMEBACK15, valid for two weeks.\n\nSee you on the trail,\nTwo Peaks"
)
# Issue 13: 1,000 emails to the local outbox in under 2 s, queueing and sending.
OUTBOX_TARGET: Target = (">", 500.0)


@dataclass(frozen=True, slots=True)
class Timing:
    queue_seconds: float
    send_seconds: float

    @property
    def total(self) -> float:
        return self.queue_seconds + self.send_seconds


class _Counter:
    """aiosmtpd handler: accepts every message and counts it."""

    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages += 1
        return "250 OK: queued"


@contextmanager
def smtp_server() -> Iterator[tuple[str, _Counter]]:
    """A local SMTP server on a free port (aiosmtpd's port=0 fails its own start-up check)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    counter = _Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", counter
    finally:
        controller.stop()


def send_all(state: StateStore, run_id: str, sender: Any) -> Any:
    """``send_queued`` as this checkout spells it (the rewrite's ``SendOptions``, or the older
    ``email_from=`` keyword)."""
    send_queued: Any = sending.send_queued
    options = getattr(sending, "SendOptions", None)
    if options is None:
        return send_queued(state, run_id, sender, email_from=EMAIL_FROM)
    return send_queued(state, run_id, sender, options(email_from=EMAIL_FROM))


def one_run(database_url: str, make_sender: Callable[[], Any], emails: int) -> Timing:
    """Queue and send ``emails`` emails for a fresh run; the seconds each took."""
    state = StateStore(database_url)
    state.migrate()
    try:
        run_id = state.start_run("winback", started_by="bench", trigger="cli").run_id
        batch = [
            sending.CampaignEmail(i, f"customer{i}@example.com", "We miss you on the trail", BODY)
            for i in range(1, emails + 1)
        ]
        started = time.perf_counter()
        sending.queue_emails(state, run_id, batch)
        queued = time.perf_counter()
        report = send_all(state, run_id, make_sender())
        done = time.perf_counter()
        if report.sent != emails:
            raise SystemExit(f"only {report.sent} of {emails} emails were sent")
        return Timing(queued - started, done - queued)
    finally:
        state.close()


@contextmanager
def database(kind: str, folder: Path, postgres: str) -> Iterator[str]:
    if kind == "SQLite":
        yield f"sqlite:///{folder / f'state-{uuid.uuid4().hex[:8]}.db'}"
    else:
        with throwaway_database(postgres) as url:
            yield url


def postgres_reachable(server_url: str) -> bool:
    try:
        with psycopg.connect(server_url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    figures = Figures("send")

    kinds = ["SQLite"]
    if not args.no_postgres:
        if postgres_reachable(args.postgres):
            kinds.append("PostgreSQL")
        else:
            print(f"PostgreSQL not reachable at {args.postgres}: SQLite only")
    api = "SendOptions" if hasattr(sending, "SendOptions") else "email_from= (before the rewrite)"
    print(f"{args.emails:,} emails per run, median of {args.runs} runs; send_queued API: {api}")
    print(f"{'state store':<12}{'sender':<14}{'emails/s':>10}{'queue s':>9}{'send s':>9}")
    with tempfile.TemporaryDirectory(prefix="bench-send-") as temporary, smtp_server() as smtp:
        folder = Path(temporary)
        url, counter = smtp
        senders: dict[str, Callable[[], Any]] = {
            "local outbox": lambda: LocalOutboxSender(folder / f"outbox-{uuid.uuid4().hex[:8]}"),
            "SMTP": lambda: SmtpSender(url),
        }
        for kind in kinds:
            for name, make_sender in senders.items():
                timings = []
                for _ in range(args.runs):
                    with database(kind, folder, args.postgres) as database_url:
                        timings.append(one_run(database_url, make_sender, args.emails))
                rate = statistics.median(args.emails / t.total for t in timings)
                queue = statistics.median(t.queue_seconds for t in timings)
                send = statistics.median(t.send_seconds for t in timings)
                print(f"{kind:<12}{name:<14}{rate:>10,.0f}{queue:>9.2f}{send:>9.2f}")
                figures.add(
                    f"{args.emails:,} emails, {kind}, {name} (median of {args.runs})",
                    rate,
                    "emails/s",
                    target=OUTBOX_TARGET if name == "local outbox" else None,
                )
        print(f"(the SMTP server accepted {counter.messages:,} messages)")
    figures.save()


if __name__ == "__main__":
    main()
