"""Slack ack latency under load: signed slash commands and button clicks, 20 at a time for 30 s,
against the real HTTP app while the workflows they start run.

    python -m bench.slack_ack                              # 20 at a time, 30 s
    python -m bench.slack_ack --concurrency 50 --seconds 60 --customers 5000

The app is ``bot.app.build_app`` + ``http_app`` on uvicorn (127.0.0.1) in a child process
(``bench.slack_ack_app``; this module is the load driver), as ``controlroom serve --http`` runs
it — its workflows in a ``ProcessRunner``'s worker processes, ready before the load starts —
over a freshly seeded sample company in a temporary folder on the embedded defaults (offline
writer, SQLite state, local outbox). Its Web API client and every ``response_url`` point at the
sandbox's Slack (``sandbox/``, as ``controlroom demo`` serves it), served in this process, so
``respond()``, ``chat.postMessage`` and the digest's uploads all land somewhere real; the
requests are the sandbox's payloads, signed as Slack signs them.

Each of ``--concurrency`` workers sends one request, waits for the response (Slack's ack), and
sends the next: ``/controlroom status``, ``help``, ``ask …``, now and then ``gtm``, and clicks on
a win-back proposal's buttons (Approve by a non-approver and by the approver — one wins, the
rest are told who decided — and Edit). Latency is from sending the request to reading the whole
response. A command the app refuses because its workers are busy ("try again in a minute") is
counted apart: its fast refusal is not an answer, so the latencies are those of the accepted
requests. Prints accepted and refused counts and p50/p99/max of the accepted (overall and per
kind), the count over Slack's 3 s, errors, the machine's load average before and after (other
work on the machine moves the figures), and how many workflow runs the app started and finished
meanwhile. Asserts nothing. Target: p99 under 100 ms, none over 3 s. The headline figures go into
this bench's section of ``var/bench/latest.md`` (``bench/figures.py``).
Run it as a module (``-m``) from the repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.figures import Figures
from bench.slack_ack_app import (
    APPROVER,
    MARKETER,
    app_settings,
    bench_slack,
    seed_company,
    serve_app,
    slack_environment,
)
from sandbox import CallLog, ScriptedSlack
from sandbox.deliver import signed_headers

SLACK_DEADLINE = 3.0
QUESTIONS = (
    "who is about to churn?",
    "how did revenue do last week?",
    "do you ship to canada?",
    "which channel has the best ROAS?",
    "what is the return policy?",
)
# (kind, weight): mostly quick commands, many questions, clicks, and a digest now and then.
MIX = (("status", 30), ("help", 25), ("ask", 20), ("click", 23), ("gtm", 2))


@dataclass(frozen=True, slots=True)
class Proposal:
    run_id: str
    channel: str
    ts: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1, help="the request mix's random seed")
    parser.add_argument(
        "--kinds",
        default=",".join(kind for kind, _ in MIX),
        help="which requests to send, e.g. `help` alone for the ack floor with no work behind",
    )
    parser.add_argument(
        "--switch-interval", type=float, help="experiment: the app's sys.setswitchinterval (s)"
    )
    parser.add_argument(
        "--workflow-threads",
        type=int,
        help="experiment: run the workflows in this many threads of the app's process instead",
    )
    parser.add_argument(
        "--workflow-processes",
        type=int,
        help="experiment: worker processes running the workflows (default: as serve runs them)",
    )
    parser.add_argument(
        "--workflow-backlog",
        type=int,
        help="experiment: workflow calls held before refusing more (default: as serve does)",
    )
    args = parser.parse_args()
    figures = Figures("slack_ack")
    port = _free_port()
    with (
        tempfile.TemporaryDirectory(prefix="controlroom-bench-") as folder,
        bench_slack(Path(folder), port) as (scripted, api),
    ):
        var_dir = Path(folder) / "var"
        print(f"seeding the sample company ({args.customers:,} customers) …")
        seed_company(var_dir, args.customers)
        spawn = multiprocessing.get_context("spawn")
        told, ready = spawn.Pipe(duplex=False)
        app = spawn.Process(
            target=serve_app,
            args=(str(var_dir), slack_environment(scripted), port, ready),
            kwargs={
                "switch_interval": args.switch_interval,
                "workflow_threads": args.workflow_threads,
                "processes": args.workflow_processes,
                "backlog": args.workflow_backlog,
            },
            daemon=False,  # it starts worker processes of its own; terminated below
        )
        print("starting the app and its workflow workers (and ingesting the help centre) …")
        app.start()
        try:
            started = time.monotonic()
            while not told.poll(0.5):
                if not app.is_alive():
                    raise SystemExit("the app exited before serving (its error is above)")
                if time.monotonic() - started > 300:
                    raise SystemExit("the app did not start within 5 minutes")
            print(f"app serving at 127.0.0.1:{port}, pid {app.pid} (for py-spy)")
            load_before = os.getloadavg()
            results, refused = asyncio.run(_load(scripted, api, args))
            load_after = os.getloadavg()
            _report(results, args, var_dir, scripted, (load_before, load_after), figures)
            _report_refused(refused, api, figures)
        finally:
            app.terminate()
            app.join(timeout=15)
    figures.save()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Slack:
    """Sends the sandbox's people's requests as Slack does (signed), many at once."""

    def __init__(self, session: aiohttp.ClientSession, scripted: ScriptedSlack) -> None:
        self.session = session
        self.scripted = scripted

    async def post(self, body: str) -> tuple[int, float, bytes]:
        headers = signed_headers(self.scripted.signing_secret, body)
        started = time.perf_counter()
        url = self.scripted.request_url
        async with self.session.post(url, data=body.encode(), headers=headers) as reply:
            answer = await reply.read()
            return reply.status, time.perf_counter() - started, answer

    def command(self, text: str, user_id: str = MARKETER) -> str:
        return self.scripted.command_body(text, user_id=user_id)

    def click(self, action_id: str, proposal: Proposal, user_id: str) -> str:
        return self.scripted.click_body(
            action_id,
            proposal.run_id,
            user_id=user_id,
            channel=proposal.channel,
            message_ts=proposal.ts,
        )


async def _propose(slack: _Slack, api: CallLog) -> Proposal:
    """``/controlroom winback`` once, before the load: the proposal the clicks land on."""
    status, _, _ = await slack.post(slack.command("winback"))
    if status != 200:
        raise SystemExit(f"/controlroom winback answered HTTP {status}")
    posted = await asyncio.to_thread(api.wait_for, "chat.postMessage", 1, 300)
    proposal = posted[0]
    actions = next(b for b in proposal.args["blocks"] if b["type"] == "actions")
    run_id = actions["elements"][0]["value"]
    return Proposal(run_id, proposal.answer["channel"], proposal.answer["ts"])


async def _load(
    scripted: ScriptedSlack, api: CallLog, args: argparse.Namespace
) -> tuple[dict[str, list[float]], Counter[str]]:
    """Run the workers for ``args.seconds``; the accepted requests' latencies by kind (errors as
    ``nan``), and how many of each kind were refused as busy in their ack."""
    from bot import ids
    from bot.failures import BUSY  # pulls the workflows in: not before the app runs

    def says_busy(answer: bytes) -> bool:
        try:
            return bool(answer) and json.loads(answer).get("text") == BUSY
        except ValueError:
            return False

    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        slack = _Slack(session, scripted)
        print("posting a win-back proposal to click on …")
        proposal = await _propose(slack, api)
        results: dict[str, list[float]] = defaultdict(list)
        refused: Counter[str] = Counter()
        wanted = set(args.kinds.split(","))
        kinds = [kind for kind, _ in MIX if kind in wanted]
        weights = [weight for kind, weight in MIX if kind in wanted]
        clicks = (
            (ids.APPROVE, MARKETER),
            (ids.APPROVE, APPROVER),
            (ids.EDIT, MARKETER),
            (ids.REJECT, MARKETER),
        )
        deadline = time.perf_counter() + args.seconds

        async def worker(number: int) -> None:
            rng = random.Random(args.seed * 1000 + number)
            while time.perf_counter() < deadline:
                kind = rng.choices(kinds, weights)[0]
                if kind == "click":
                    action_id, user = rng.choice(clicks)
                    body = slack.click(action_id, proposal, user)
                elif kind == "ask":
                    body = slack.command(f"ask {rng.choice(QUESTIONS)}")
                else:
                    body = slack.command(kind)
                try:
                    status, seconds, answer = await slack.post(body)
                except (aiohttp.ClientError, TimeoutError):
                    status, seconds, answer = 0, float("nan"), b""
                if status == 200 and says_busy(answer):
                    refused[kind] += 1
                else:
                    results[kind].append(seconds if status == 200 else float("nan"))

        print(f"{args.concurrency} at a time for {args.seconds:g} s …")
        await asyncio.gather(*(worker(n) for n in range(args.concurrency)))
        return results, refused


def _report(
    results: dict[str, list[float]],
    args: argparse.Namespace,
    var_dir: Path,
    scripted: ScriptedSlack,
    load: tuple[tuple[float, float, float], tuple[float, float, float]],
    figures: Figures,
) -> None:
    from bot.runner import WORKFLOW_BACKLOG, workflow_processes
    from integrations.statestore import StateStore

    every = [s for kind in results.values() for s in kind]
    ok = sorted(s for s in every if s == s)  # NaN marks an error
    errors = len(every) - len(ok)
    print()
    if args.workflow_threads:
        print(f"workflows in         {args.workflow_threads} thread(s) of the app's process")
    else:
        processes = args.workflow_processes or workflow_processes(
            app_settings(str(var_dir), slack_environment(scripted))
        )
        backlog = args.workflow_backlog or WORKFLOW_BACKLOG
        print(f"workflows in         {processes} worker process(es), {backlog:,} calls held")
    (before, _, _), (after, _, _) = load
    print(f"load average (1 min) {before:.2f} before, {after:.2f} after ({os.cpu_count()} cores)")
    print(f"accepted requests  {len(every):>10,}  ({len(every) / args.seconds:,.0f}/s)")
    if ok:
        print(f"ack p50 (ms)       {_ms(statistics.median(ok)):>10.1f}")
        print(f"ack p99 (ms)       {_ms(_percentile(ok, 0.99)):>10.1f}")
        print(f"ack max (ms)       {_ms(ok[-1]):>10.1f}")
    over = sum(s > SLACK_DEADLINE for s in ok)
    print(f"over {SLACK_DEADLINE:g} s           {over:>10,}")
    print(f"errors             {errors:>10,}")
    load_run = f"{args.concurrency} at a time for {args.seconds:g} s"
    figures.add(f"{load_run}: accepted requests", len(every), "requests")
    if ok:
        figures.add(f"{load_run}: accepted, ack p50", _ms(statistics.median(ok)), "ms")
        figures.add(
            f"{load_run}: accepted, ack p99",
            _ms(_percentile(ok, 0.99)),
            "ms",
            target=("<", 100.0),
        )
        figures.add(f"{load_run}: accepted, ack max", _ms(ok[-1]), "ms")
    figures.add(f"{load_run}: over {SLACK_DEADLINE:g} s", over, "requests", target=("<=", 0))
    figures.add(f"{load_run}: errors", errors, "requests")
    for kind, _ in MIX:
        times = sorted(s for s in results.get(kind, []) if s == s)
        if times:
            print(
                f"  {kind:<8} {len(times):>7,} requests"
                f"  p50 {_ms(statistics.median(times)):6.1f} ms"
                f"  p99 {_ms(_percentile(times, 0.99)):6.1f} ms  max {_ms(times[-1]):7.1f} ms"
            )
    store = StateStore(f"sqlite:///{(var_dir / 'controlroom.db').as_posix()}")
    runs = Counter((run.workflow, run.status) for run in store.recent_runs(limit=1_000_000))
    store.close()
    started = sum(runs.values())
    finished = sum(n for (_, status), n in runs.items() if status in ("succeeded", "failed"))
    print(f"workflow runs      {started:>10,} started, {finished:,} finished by the end")
    for (workflow, status), count in sorted(runs.items()):
        print(f"  {workflow:<10} {status:<10} {count:>6,}")


def _report_refused(refused: Counter[str], api: CallLog, figures: Figures) -> None:
    """How many requests were refused as busy: commands in their ack (not in the latencies
    above), buttons through their response URL (their ack carries no text, so they are)."""
    from bot.failures import BUSY

    later = sum(1 for call in api.calls_to("response_url") if call.args.get("text") == BUSY)
    print(f"refused as busy    {refused.total() + later:>10,}  (try again in a minute)")
    told = ", ".join(f"{kind} {count:,}" for kind, count in refused.most_common())
    print(f"  in the ack       {refused.total():>10,}  ({told or 'none'})")
    print(f"  by response URL  {later:>10,}  (buttons, counted in the latencies)")
    figures.add("requests refused as busy: in the ack", refused.total(), "requests")
    figures.add("requests refused as busy: by response URL", later, "requests")


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _ms(seconds: float) -> float:
    return seconds * 1000


if __name__ == "__main__":
    main()
