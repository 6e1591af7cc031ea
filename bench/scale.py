"""Workflows per minute with 1, 2 and 4 task-queue workers on this machine, and the ack latency
of the slash commands that start them while they run (issue 18).

    python -m bench.scale                          # 1, 2 and 4 workers, 20 s measured each
    python -m bench.scale --workers 1,2 --seconds 10 --in-flight 6

The deployment of "Running on several machines" (README), on loopback: one ``web`` process
(``controlroom serve --http`` with ``REDIS_URL``: it verifies, acks and enqueues) and
``controlroom worker --concurrency 1`` processes (so the worker count is the number of
workflows running at once), all real subprocesses, each in a process group of its own, over
the machine's Redis (a ``BROKER_PREFIX`` of this run's, its keys deleted afterwards) and
PostgreSQL (a database of this run's, dropped afterwards), and a freshly seeded sample company
in a temporary folder (the warehouse; the help centre ingested once before any worker starts,
as the embedded Chroma store lets one process create it). The Web API and every response URL
are the test suite's fake Slack Web API, served in this process.

The load is ``/controlroom ask …`` (the ``interactive`` queue: plan, metrics-layer answer,
run recorded; the offline writer, no model) with ``--in-flight`` commands outstanding: a new
one is sent, signed, as soon as an answer is posted, so every worker always has a task
waiting and the queue does not grow without bound. Each command has its own response URL, so
its end is seen where Slack would see it: the "Working on it" note deleted once the answer is
in the channel (``chat.postMessage``), or a refusal ("busy") or an apology (an error) posted
there. The workers are added between rounds (1, then 2, then 4); each round warms up until
every worker has finished a task, then measures for ``--seconds``: answers completed in that
window per minute, the HTTP response time (Slack's ack) of the commands sent in it, and the
CPU the web process and the workers used meanwhile (Linux /proc: how far from filling the
cores they were).

Prints a Markdown table (``scale_rows`` builds it: the figures in one place, for a recorder of
var/bench/ results to take), the cores and the load average. Asserts nothing.
Run it as a module (``-m``) from the repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import aiohttp

from bench.figures import Figures
from bench.scale_processes import (
    START_SECONDS,
    Processes,
    broker_prefix,
    environment,
    stop_on_sigterm,
    throwaway_database,
    wait_healthy,
)
from bench.slack_ack import _free_port, _percentile, _Slack
from bench.slack_ack_app import bench_slack, seed_company, slack_environment
from sandbox import CallLog, ScriptedSlack

# Metric questions: answered from the warehouse, none escalated to a person.
QUESTIONS = (
    "how did revenue do last week?",
    "which channel has the best ROAS?",
    "revenue by channel last month",
    "how many orders last week?",
)
ANSWER_SECONDS = 120.0  # a command with no answer by then is counted lost
TWO_CORE_NOTE = (
    "On {cores} cores, more worker processes than cores cannot add throughput for CPU-bound "
    "work: each answer is Python and DuckDB on a CPU, and the web process, Redis, PostgreSQL "
    "and this load driver need the same cores."
)


@dataclass(slots=True)
class Round:
    """One worker count's measurement."""

    workers: int
    seconds: float
    completed: int = 0
    refused: int = 0
    errored: int = 0
    lost: int = 0  # commands whose answer never came (HTTP errors, or no post at all)
    acks: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)  # command sent → answer posted
    busy_workers: int = 0  # distinct worker processes that finished a task in the window
    # CPU seconds used in the window by the web process and by all the workers (Linux /proc).
    web_cpu: float = 0.0
    workers_cpu: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def per_minute(self) -> float:
        return self.completed * 60 / self.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts, rising: 1,2,4")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured per worker count")
    parser.add_argument("--warmup", type=float, default=3.0, help="at least, per worker count")
    parser.add_argument("--in-flight", type=int, default=8, help="commands outstanding")
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/postgres")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    if counts != sorted(set(counts)) or counts[0] < 1:
        parser.error("--workers: rising counts from 1, e.g. 1,2,4")
    stop_on_sigterm()
    figures = Figures("scale")
    print(f"{os.cpu_count()} cores, load average {_load_text(os.getloadavg())} before")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="controlroom-scale-")))
        port = _free_port()
        scripted, api = stack.enter_context(bench_slack(folder, port))
        database_url = stack.enter_context(throwaway_database(args.postgres))
        prefix = stack.enter_context(broker_prefix(args.redis))
        print(f"seeding the sample company ({args.customers:,} customers) …")
        seed_company(folder / "var", args.customers)
        slack = slack_environment(scripted)
        env = environment(folder / "var", slack, database_url, args.redis, prefix)
        processes = stack.enter_context(Processes(folder, env))
        print("ingesting the help centre once …")
        processes.run("kb", "ingest")
        processes.start("web", "serve", "--http", "--port", str(port))
        wait_healthy(port, processes)
        rounds: list[Round] = []
        for workers in counts:
            while len(processes.workers) < workers:
                processes.start("worker", "worker", "--concurrency", "1")
            print(f"{workers} worker(s): warming up, then {args.seconds:g} s measured …")
            measured = asyncio.run(
                _measure(scripted, api, processes, database_url, workers=workers, args=args)
            )
            rounds.append(measured)
            print(f"  {measured.completed} answers, load average {_load_text(measured.load)}")
    print()
    _print_table(scale_rows(rounds))
    print()
    print(f"{os.cpu_count()} cores; load average {_load_text(os.getloadavg())} at the end.")
    print(TWO_CORE_NOTE.format(cores=os.cpu_count()))
    print(_cpu_note(rounds))
    _record(figures, rounds)


def _record(figures: Figures, rounds: Sequence[Round]) -> None:
    """The headline figures for var/bench/latest.md: each worker count's throughput, and the
    ack p99 against the issue's 200 ms."""
    for measured in rounds:
        workers = f"{measured.workers} worker(s)"
        figures.add(f"{workers}: workflows per minute", measured.per_minute, "per min")
        if measured.acks:
            p99 = _percentile(sorted(measured.acks), 0.99) * 1000
            figures.add(f"{workers}: ack p99 while they run", p99, "ms", target=("<", 200.0))
    figures.save()


def scale_rows(rounds: Sequence[Round]) -> list[dict[str, str]]:
    """The table's rows, one per worker count, column name → cell (for printing or recording)."""
    base = rounds[0].per_minute if rounds else 0.0
    rows = []
    for measured in rounds:
        acks = sorted(measured.acks)
        answers = sorted(measured.answers)
        rows.append(
            {
                "workers": str(measured.workers),
                "workflows/min": f"{measured.per_minute:.0f}",
                "× 1 worker": f"{measured.per_minute / base:.2f}" if base else "–",
                "ack p50 (ms)": f"{statistics.median(acks) * 1000:.0f}" if acks else "–",
                "ack p99 (ms)": f"{_percentile(acks, 0.99) * 1000:.0f}" if acks else "–",
                "acks": str(len(acks)),
                "answer p50 (s)": f"{statistics.median(answers):.2f}" if answers else "–",
                "refused": str(measured.refused),
                "errored": str(measured.errored + measured.lost),
                "busy workers": str(measured.busy_workers),
                "cores used web / workers": (
                    f"{measured.web_cpu / measured.seconds:.2f}"
                    f" / {measured.workers_cpu / measured.seconds:.2f}"
                ),
                "load (1/5 min)": f"{measured.load[0]:.2f} / {measured.load[1]:.2f}",
            }
        )
    return rows


def _cpu_note(rounds: Sequence[Round]) -> str:
    """What the CPU accounting says: the CPU each answer took, the ceiling that sets on this
    machine's cores were they all ours, and how much of it the workers used."""
    answers = sum(measured.completed for measured in rounds)
    if not answers:
        return "No answers were counted: no CPU per answer."
    per_answer = sum(measured.web_cpu + measured.workers_cpu for measured in rounds) / answers
    cores = os.cpu_count() or 1
    used = ", ".join(
        f"{measured.workers_cpu / measured.seconds:.2f} cores with {measured.workers}"
        for measured in rounds
    )
    return (
        f"Measured: {per_answer * 1000:.0f} ms of web + worker CPU per answer, so about "
        f"{cores * 60 / per_answer:,.0f} answers/min would fill {cores} idle cores (Redis, "
        f"PostgreSQL and the load driver not counted); the workers used {used}: "
        "less than a core each, as a worker also waits (on PostgreSQL, Redis, the web process "
        "and the other work on the machine), and more processes overlap those waits."
    )


def _print_table(rows: list[dict[str, str]]) -> None:
    if not rows:
        return
    names = list(rows[0])
    print("| " + " | ".join(names) + " |")
    print("|" + "|".join("---:" for _ in names) + "|")
    for row in rows:
        print("| " + " | ".join(row[name] for name in names) + " |")


# --- the load -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sent:
    at: float
    ack: float | None = None  # the HTTP response time; None on an HTTP error
    outcome: asyncio.Future[tuple[str, float]] | None = None


async def _measure(
    scripted: ScriptedSlack,
    api: CallLog,
    processes: Processes,
    database_url: str,
    *,
    workers: int,
    args: argparse.Namespace,
) -> Round:
    """Keep ``args.in_flight`` commands outstanding; warm up until every worker has finished a
    task (and ``args.warmup`` seconds), then count ``args.seconds``."""
    from bot.failures import BUSY, GIVEN_UP, SORRY
    from integrations.statestore import StateStore

    failed = (SORRY, GIVEN_UP)
    loop = asyncio.get_running_loop()
    waiting: dict[str, _Sent] = {}
    sent: list[_Sent] = []
    seen = len(api.calls)
    stop = asyncio.Event()
    state = StateStore(database_url)

    def read_posts() -> None:
        """Settle each command whose response URL was posted to since the last look."""
        nonlocal seen
        calls = api.calls[seen:]
        seen += len(calls)
        for call in calls:
            if call.method != "response_url":
                continue
            one = waiting.pop(call.url, None)
            if one is not None:
                text = call.args.get("text")
                settle(one, "refused" if text == BUSY else "errored" if text in failed else "ok")

    def settle(one: _Sent, kind: str) -> None:
        assert one.outcome is not None
        if not one.outcome.done():
            one.outcome.set_result((kind, time.perf_counter()))

    async def watch() -> None:
        while not stop.is_set() or waiting:
            read_posts()
            await asyncio.sleep(0.02)

    async def asker(slack: _Slack, number: int) -> None:
        questions = itertools.cycle(QUESTIONS[number % len(QUESTIONS) :] + QUESTIONS)
        while not stop.is_set():
            body = slack.command(f"ask {next(questions)}")
            # Its response URL is its own: the post to it settles this command.
            [key] = parse_qs(body)["response_url"]
            one = _Sent(time.perf_counter(), outcome=loop.create_future())
            waiting[key] = one
            sent.append(one)
            try:
                status, seconds, answer = await slack.post(body)
            except (aiohttp.ClientError, TimeoutError):
                status, seconds, answer = 0, 0.0, b""
            if status != 200:
                waiting.pop(key, None)
                continue
            one.ack = seconds
            if _ack_text(answer) == BUSY:  # refused in the ack: no post follows
                waiting.pop(key, None)
                settle(one, "refused")
                continue
            assert one.outcome is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(one.outcome), ANSWER_SECONDS)
            waiting.pop(key, None)

    def finished_by(since: float) -> set[str]:
        """The worker processes that finished a task since ``since`` (epoch seconds)."""
        tasks = state.recent_tasks(limit=1_000, statuses=["succeeded"])
        return {
            t.worker
            for t in tasks
            if t.worker and t.finished_at and t.finished_at.timestamp() > since
        }

    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            slack = _Slack(session, scripted)
            watching = asyncio.ensure_future(watch())
            askers = [asyncio.ensure_future(asker(slack, n)) for n in range(args.in_flight)]
            began_wall, began = time.time(), time.perf_counter()
            while (
                len(await asyncio.to_thread(finished_by, began_wall)) < workers
                or time.perf_counter() - began < args.warmup
            ):
                processes.check()
                if time.perf_counter() - began > START_SECONDS:
                    raise SystemExit(f"not every one of {workers} workers answered in time")
                await asyncio.sleep(0.5)
            start_wall, start = time.time(), time.perf_counter()
            cpu_before = processes.cpu_seconds()
            while time.perf_counter() - start < args.seconds:
                processes.check()
                await asyncio.sleep(min(0.5, args.seconds - (time.perf_counter() - start)))
            end = time.perf_counter()
            load = os.getloadavg()
            cpu = {
                role: used - cpu_before.get(role, 0.0)
                for role, used in processes.cpu_seconds().items()
            }
            stop.set()
            await asyncio.gather(*askers)
            await watching
            busy = len(await asyncio.to_thread(finished_by, start_wall))
    finally:
        state.close()
    measured = Round(
        workers,
        end - start,
        busy_workers=busy,
        load=load,
        web_cpu=cpu.get("web", 0.0),
        workers_cpu=cpu.get("worker", 0.0),
    )
    for one in sent:
        assert one.outcome is not None
        if one.ack is not None and start <= one.at < end:
            measured.acks.append(one.ack)
        if not one.outcome.done():
            one.outcome.cancel()
            measured.lost += start <= one.at < end
            continue
        kind, at = one.outcome.result()
        if not start <= at < end:
            continue
        if kind == "ok":
            measured.completed += 1
            measured.answers.append(at - one.at)
        elif kind == "refused":
            measured.refused += 1
        else:
            measured.errored += 1
    return measured


# --- the processes --------------------------------------------------------------------------


def _ack_text(answer: bytes) -> str | None:
    """The text of an ack's JSON body (a refusal is said there), if any."""
    try:
        text = json.loads(answer).get("text") if answer else None
    except (ValueError, AttributeError):
        return None
    return text if isinstance(text, str) else None


def _load_text(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load) + " (1/5/15 min)"


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: every process it started is stopped", file=sys.stderr)
        raise SystemExit(130) from None
