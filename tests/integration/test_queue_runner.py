"""The queue runner against the machine's real Redis and real ``controlroom worker`` processes.

Each test has its own key prefix in Redis (``BROKER_PREFIX``), deleted afterwards, and its own
state database; the workers are started as subprocesses in their own process group, so that
one can be killed as a whole (kill -9), as a machine would lose it.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from agents.support import HumanAnswer, KnowledgeBase, learn_from_human
from bot import work
from bot.queue_runner import QueueRunner
from bot.queue_tasks import BATCH, QUEUES
from bot.runner import TaskGivenUpError, WorkersUnavailableError
from bot.scheduler import JOB_FUNCTIONS, SCHEDULER_USER, build_scheduler
from bot.worker import WorkerError
from controlroom.cli.worker import QUEUE_NAMES
from controlroom.services import build_services
from controlroom.settings import Settings
from integrations.statestore import StateStore, TaskRecord, process_name
from integrations.vectorstore import ChromaVectorStore
from integrations.warehouse import Warehouse
from tests.integration import _queue_work
from workflows.weekly_gtm import WORKFLOW as WEEKLY_GTM
from workflows.winback_audience import Targeting, WinbackTargetError

# Read before the autouse fixture clears the environment for each test.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parents[2]
# A generous bound on anything a worker does here (starting included: imports take seconds).
WAIT_SECONDS = 120.0
# The kill test's: a task whose worker died is given to another after this long.
VISIBILITY_SECONDS = 6
# How a task ends.
ENDED = frozenset({"succeeded", "failed", "given_up"})


@pytest.fixture
def prefix() -> Iterator[str]:
    """This test's key prefix in the real Redis; every key under it is deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis at REDIS_URL={REDIS_URL} does not answer ({error}): start it, or "
            "set REDIS_URL to one that does"
        )
    name = f"controlroom-test-{uuid.uuid4().hex}:"
    yield name
    for key in client.scan_iter(match=f"{name}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def queue_settings(prefix: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("BROKER_PREFIX", prefix)
    monkeypatch.setenv("BROKER_VISIBILITY_TIMEOUT", str(VISIBILITY_SECONDS))
    return Settings()


class Workers:
    """``controlroom worker`` subprocesses, each in a process group of its own."""

    def __init__(self, logs: Path) -> None:
        self._logs = logs
        self.started: list[subprocess.Popen[bytes]] = []
        self._log_paths: dict[int, Path] = {}
        self._killed: set[int] = set()

    def start(self, *options: str) -> subprocess.Popen[bytes]:
        python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        environment = {**os.environ, "PYTHONPATH": python_path}
        if os.geteuid() == 0:
            # Celery refuses to unpickle tasks as root unless told to: this sandbox runs as root.
            environment["C_FORCE_ROOT"] = "1"
        log_path = self._logs / f"worker-{len(self.started)}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "controlroom.cli", "-v", "worker", *options],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append(process)
        self._log_paths[process.pid] = log_path
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """kill -9 of the worker and all its processes."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self._killed.add(process.pid)

    def check(self) -> None:
        """Fail at once, with its log, when a worker has exited that was not killed."""
        for process in self.started:
            if process.pid not in self._killed and process.poll() is not None:
                log = self._log_paths[process.pid].read_text(errors="replace")
                pytest.fail(f"a worker exited ({process.returncode}):\n{log[-3000:]}")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    yield started
    started.stop_all()


def _run(runner: QueueRunner, call: Any, workers: Workers | None = None) -> Any:
    """Run ``call(runner)`` (a coroutine) with the runner started, closing it afterwards;
    failing at once if one of ``workers`` exits on its own."""

    async def main() -> Any:
        runner.start()
        task = asyncio.ensure_future(call(runner))
        deadline = time.monotonic() + WAIT_SECONDS
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=0.5)
                if workers is not None:
                    workers.check()
                assert time.monotonic() < deadline, f"no answer within {WAIT_SECONDS:g} s"
            return task.result()
        finally:
            task.cancel()
            runner.close()

    return asyncio.run(main())


def _wait_for(path: Path, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear within {seconds:g} s"
        time.sleep(0.1)


def test_the_worker_command_and_the_runner_name_the_same_queues() -> None:
    assert QUEUE_NAMES == QUEUES


def test_the_worker_refuses_to_start_without_a_broker(isolated_environment: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "controlroom.cli", "worker", "--concurrency", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )

    assert done.returncode == 2
    assert "REDIS_URL" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_work_function_runs_in_a_worker_with_its_result_and_exceptions_coming_back(
    queue_settings: Settings, workers: Workers
) -> None:
    workers.start("--concurrency", "2")

    async def calls(runner: QueueRunner) -> tuple[Any, ...]:
        returned = await runner.call(work.winback_targeting, None, None)
        with pytest.raises(WinbackTargetError, match="not a segment"):
            await runner.call(work.winback_targeting, "nobody-at-all", None)
        with pytest.raises(WorkerError, match="LockedError"):
            await runner.call(_queue_work.fail_unpicklably)
        steps: list[int] = []
        counted = await runner.call(_queue_work.count_up, 20, on_progress=steps.append)
        return returned, counted, steps

    returned, counted, steps = _run(QueueRunner(queue_settings), calls, workers)

    assert returned == Targeting((), None)
    assert counted == 20
    assert steps == list(range(1, 21))


def test_a_batch_task_does_not_hold_up_an_interactive_one(
    queue_settings: Settings, workers: Workers, tmp_path: Path
) -> None:
    workers.start("--concurrency", "1", "--queues", "batch")
    workers.start("--concurrency", "1", "--queues", "interactive")
    started = tmp_path / "batch-started"

    async def calls(runner: QueueRunner) -> float:
        await runner.call(work.winback_targeting, None, None)  # the interactive worker is up
        for _ in range(2):  # a long job, and another waiting behind it
            runner.send(_queue_work.hold, str(started), 60.0, queue=BATCH, work="hold")
        await asyncio.to_thread(_wait_for, started)
        began = time.monotonic()
        await runner.call(work.winback_targeting, None, None)
        return time.monotonic() - began

    took = _run(QueueRunner(queue_settings), calls, workers)

    assert took < 10


def test_a_task_whose_worker_is_killed_is_redelivered_and_completed_once_in_its_run(
    queue_settings: Settings, workers: Workers, tmp_path: Path
) -> None:
    first = workers.start("--concurrency", "2")
    started = tmp_path / "started"
    marker = uuid.uuid4().hex

    async def calls(runner: QueueRunner) -> int:
        call = asyncio.ensure_future(
            runner.call(_queue_work.record_after, str(started), 3.0, marker)
        )
        await asyncio.to_thread(_wait_for, started)
        workers.kill(first)
        started.unlink()
        workers.start("--concurrency", "2")
        entry_id: int = await call
        # Past another visibility timeout: nothing gives the task out a second time.
        await asyncio.sleep(VISIBILITY_SECONDS + 2)
        return entry_id

    entry_id = _run(QueueRunner(queue_settings), calls, workers)

    state = StateStore(queue_settings.effective_database_url)
    try:
        recorded = [
            entry
            for entry in state.audit_entries(limit=1000)
            if entry.action == _queue_work.RECORDED and entry.detail.get("marker") == marker
        ]
        [run] = state.recent_runs(workflow=_queue_work.RECORDED)
        [task] = state.recent_tasks()
        resumed = [e for e in state.audit_entries(run_id=run.run_id) if e.action == "resumed"]
    finally:
        state.close()
    assert [entry.entry_id for entry in recorded] == [entry_id]
    # Each delivery counted; the second took back the run the killed worker left running (a
    # work function without a checkpoint starts again from the beginning, in the same run).
    assert (task.status, task.deliveries, task.retried) == ("succeeded", 2, True)
    assert (run.run_id, run.status, run.task_id) == (recorded[0].run_id, "succeeded", task.task_id)
    assert task.worker == run.process
    assert [e.detail for e in resumed] == [{"task_id": task.task_id}]


@pytest.fixture
def postgres_queue_settings(
    queue_settings: Settings, postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """``queue_settings`` with the state (and the checkpoints) in a fresh PostgreSQL database:
    a missing PostgreSQL fails these tests under CONTROLROOM_TEST_REQUIRE_POSTGRES=1."""
    monkeypatch.setenv("DATABASE_URL", postgres_database_url)  # read by the worker processes
    return Settings()


def test_a_run_whose_worker_is_killed_between_steps_is_resumed_from_its_checkpoint(
    postgres_queue_settings: Settings, workers: Workers, tmp_path: Path
) -> None:
    first = workers.start("--concurrency", "2")
    started, hold = tmp_path / "started", tmp_path / "hold"
    hold.touch()
    marker = uuid.uuid4().hex

    async def calls(runner: QueueRunner) -> str:
        call = asyncio.ensure_future(
            runner.call(_queue_work.two_steps, str(started), str(hold), marker)
        )
        await asyncio.to_thread(_wait_for, started)  # the first step is done and checkpointed
        workers.kill(first)
        hold.unlink()
        workers.start("--concurrency", "2")
        run_id: str = await call
        await asyncio.sleep(VISIBILITY_SECONDS + 2)  # and it is not given out a third time
        return run_id

    run_id = _run(QueueRunner(postgres_queue_settings), calls, workers)

    state = StateStore(postgres_queue_settings.effective_database_url)
    try:
        steps = [
            (entry.run_id, entry.detail["step"])
            for entry in state.audit_entries(limit=1000)
            if entry.action == _queue_work.STEPPED and entry.detail.get("marker") == marker
        ]
        [run] = state.recent_runs(workflow=_queue_work.STEPPED)
        [task] = state.recent_tasks()
        actions = [entry.action for entry in state.audit_entries(run_id=run_id)]
    finally:
        state.close()
    # One run, resumed: the first step's effect recorded once, before the kill; the second
    # step run by the second delivery, in the same run.
    assert steps == [(run_id, "first"), (run_id, "second")]
    assert actions == [_queue_work.STEPPED, "resumed", _queue_work.STEPPED]
    assert (run.run_id, run.status, run.error, run.task_id) == (
        run_id,
        "succeeded",
        None,
        task.task_id,
    )
    assert (task.status, task.deliveries) == ("succeeded", 2)
    assert task.worker == run.process


def test_a_task_delivered_more_often_than_allowed_is_given_up_with_its_run_failed(
    queue_settings: Settings, workers: Workers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKER_MAX_DELIVERIES", "1")  # read by the worker processes
    first = workers.start("--concurrency", "1")
    started = tmp_path / "started"
    marker = uuid.uuid4().hex

    async def calls(runner: QueueRunner) -> None:
        call = asyncio.ensure_future(
            runner.call(_queue_work.record_after, str(started), 60.0, marker)
        )
        await asyncio.to_thread(_wait_for, started)
        workers.kill(first)
        workers.start("--concurrency", "1")
        with pytest.raises(TaskGivenUpError, match="given up after 1 delivery"):
            await call

    _run(QueueRunner(queue_settings), calls, workers)

    state = StateStore(queue_settings.effective_database_url)
    try:
        [run] = state.recent_runs(workflow=_queue_work.RECORDED)
        [task] = state.recent_tasks()
        audited = [e for e in state.audit_entries(limit=1000) if e.action == _queue_work.RECORDED]
    finally:
        state.close()
    assert (run.status, run.error, run.task_id) == (
        "failed",
        "given up after 1 delivery",
        task.task_id,
    )
    assert (task.status, task.deliveries) == ("given_up", 2)
    assert task.work == "tests.integration._queue_work.record_after"
    assert audited == []  # not run a second time


def test_a_call_is_refused_once_the_runner_is_closed(queue_settings: Settings) -> None:
    runner = QueueRunner(queue_settings)
    runner.start()
    runner.close()

    with pytest.raises(WorkersUnavailableError):
        asyncio.run(runner.call(work.winback_targeting, None, None))


@pytest.mark.slow
def test_the_jobs_the_clock_fires_are_run_by_a_worker_from_the_batch_queue(
    queue_settings: Settings,
    workers: Workers,
    sample_warehouse: Warehouse,
    served_kb: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With a broker the clock only enqueues each job, whole: a worker (here one that consumes
    # the batch queue alone) runs the digest and rebuilds the knowledge base on the shared
    # Chroma server.
    monkeypatch.setenv("CHROMA_URL", served_kb)  # read by the worker too
    # Above the jobs' length (not this suite's short timeout): none is given out twice.
    monkeypatch.setenv("BROKER_VISIBILITY_TIMEOUT", "3600")
    settings = Settings()
    workers.start("--concurrency", "1", "--queues", BATCH)
    services = build_services(settings)
    kb = KnowledgeBase(ChromaVectorStore.server(served_kb))
    question = "do you rent snowshoes for the weekend"
    learn_from_human(kb, services.state, question, "No rentals.", author="maya")
    at = datetime(2026, 11, 1, tzinfo=UTC)  # in the vector store only: a rebuild drops it
    kb.add_human_answer(HumanAnswer("stray", "is Boulder open on Sundays", "Yes.", "sam", at))
    entries = kb.store.count(kb.collection)
    runner = QueueRunner(settings)
    runner.start()
    outcomes: queue.Queue[JobExecutionEvent] = queue.Queue()
    jobs = {name: JOB_FUNCTIONS[name] for name in ("weekly_digest", "kb_rebuild")}
    scheduler = build_scheduler(services, functions=jobs, runner=runner)
    scheduler.add_listener(outcomes.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.start()
        for job in scheduler.get_jobs():
            job.modify(next_run_time=datetime.now(UTC))
        scheduler.wakeup()
        finished = [_job_outcome(outcomes, workers) for _ in jobs]
        tasks = _ended_tasks(services.state, len(jobs), workers)
        runs = services.state.recent_runs(workflow=WEEKLY_GTM)
    finally:
        scheduler.shutdown()
        runner.close()
        services.close()

    assert [outcome.exception for outcome in finished] == [None, None]
    assert set(tasks) == {"clock: weekly_digest", "clock: kb_rebuild"}
    assert {(task.queue, task.status) for task in tasks.values()} == {(BATCH, "succeeded")}
    [run] = runs
    digest_task = tasks["clock: weekly_digest"]
    assert (run.trigger, run.started_by, run.status) == ("schedule", SCHEDULER_USER, "succeeded")
    assert (run.task_id, run.process) == (digest_task.task_id, digest_task.worker)
    assert run.process is not None and run.process != process_name()  # the worker's host:pid
    rebuilt = KnowledgeBase(ChromaVectorStore.server(served_kb))
    assert rebuilt.store.count(rebuilt.collection) == entries - 1  # the stray answer is gone
    assert rebuilt.search(question, 1)[0].kind == "human"


def _ended_tasks(state: StateStore, count: int, workers: Workers) -> dict[str, TaskRecord]:
    """The ``count`` tasks on the queue, by their work, once every one has ended."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        workers.check()
        tasks = {task.work: task for task in state.recent_tasks()}
        if len(tasks) == count and all(task.status in ENDED for task in tasks.values()):
            return tasks
        time.sleep(0.2)
    pytest.fail(f"the jobs' tasks did not end within {WAIT_SECONDS:g} s")


def _job_outcome(outcomes: queue.Queue[JobExecutionEvent], workers: Workers) -> JobExecutionEvent:
    """The next job's outcome, failing at once if a worker exits on its own."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        workers.check()
        try:
            return outcomes.get(timeout=0.5)
        except queue.Empty:
            continue
    pytest.fail(f"no job finished within {WAIT_SECONDS:g} s")
