"""The clock: jobs persisted in the state database, fired at the team's local time across a
daylight-saving change (time-machine moves the clock, ``wakeup()`` makes the scheduler look),
a short restart's missed run still run once, several missed runs run once."""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from agents.support import DEFAULT_KB_DIR, HumanAnswer, learn_from_human, load_chunks
from bot.scheduler import (
    JOB_FUNCTIONS,
    JOBS_TABLE,
    SCHEDULER_USER,
    build_scheduler,
    kb_rebuild_job,
    run_weekly_digest,
    weekly_digest_job,
)
from controlroom.services import Services, build_knowledge_base, build_services
from controlroom.settings import Settings
from integrations.warehouse import Warehouse
from workflows.weekly_gtm import WORKFLOW as WEEKLY_GTM

DENVER = ZoneInfo("America/Denver")
# The US leaves daylight saving time on Sunday 2026-11-01: Denver goes from UTC-6 to UTC-7.
MONDAY_BEFORE_DST_END = datetime(2026, 10, 26, 15, 0, tzinfo=UTC)  # 09:00 MDT
MONDAY_AFTER_DST_END = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # 09:00 MST

RECORDER = "tests.integration.test_scheduler:record_firing"
_fired: queue.Queue[datetime] = queue.Queue()


def record_firing(clock: str) -> None:
    """Stands in for a job's real work: notes when (by the frozen clock) the job ran."""
    _fired.put(datetime.now(UTC))


@pytest.fixture
def fired() -> queue.Queue[datetime]:
    while not _fired.empty():
        _fired.get_nowait()
    return _fired


def with_schedule(services: Services, **changes: Any) -> Services:
    """The same services with a schedule policy changed (another clock's configuration)."""
    schedule = services.policies.schedule.model_copy(update=changes)
    return dataclasses.replace(
        services, policies=services.policies.model_copy(update={"schedule": schedule})
    )


@contextmanager
def running(scheduler: BackgroundScheduler) -> Iterator[queue.Queue[JobExecutionEvent]]:
    """Start the scheduler; yield its job outcomes (ran, missed, failed) as they happen."""
    outcomes: queue.Queue[JobExecutionEvent] = queue.Queue()
    scheduler.add_listener(outcomes.put, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        yield outcomes
    finally:
        scheduler.shutdown()


def restart_clock(services: Services, **functions: str) -> None:
    """A clock that starts and stops at the frozen instant, leaving its jobs in the store."""
    with running(build_scheduler(services, functions=functions)):
        pass


@pytest.fixture
def state_services(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """Services whose state store is SQLite or the real PostgreSQL (``database_url``)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    built = build_services(Settings())
    yield built
    built.close()


def test_jobs_are_stored_in_the_state_database_and_survive_a_restart(
    state_services: Services, database_url: str
) -> None:
    with time_machine.travel(datetime(2026, 10, 25, 12, 0, tzinfo=UTC), tick=False):
        for _ in range(2):  # a second clock replaces the jobs, it does not add to them
            scheduler = build_scheduler(state_services)
            scheduler.start(paused=True)
            scheduler.shutdown()

        # Another process: a bare scheduler over its own connection to the same database.
        engine = sa.create_engine(database_url)
        restarted = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
            timezone=DENVER,
        )
        restarted.start(paused=True)
        try:
            jobs = {job.id: job for job in restarted.get_jobs()}
        finally:
            restarted.shutdown()
            engine.dispose()

    assert set(jobs) == {"weekly_digest", "kb_rebuild", "approval_reminders"}
    digest = jobs["weekly_digest"]
    assert digest.func_ref == "bot.scheduler:run_weekly_digest"
    assert jobs["kb_rebuild"].func_ref == "bot.scheduler:run_kb_rebuild"
    assert jobs["approval_reminders"].func_ref == "bot.scheduler:run_approval_reminders"
    assert digest.next_run_time == MONDAY_BEFORE_DST_END
    assert (digest.misfire_grace_time, digest.coalesce, digest.max_instances) == (3600, True, 1)
    with state_services.state.engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT COUNT(*) FROM {JOBS_TABLE}")).scalar_one()
    assert rows == 3


def test_a_job_disabled_in_the_policy_is_removed_from_the_store(services: Services) -> None:
    restart_clock(services, weekly_digest=RECORDER, kb_rebuild=RECORDER)
    disabled = services.policies.schedule.kb_rebuild.model_copy(update={"enabled": False})

    scheduler = build_scheduler(
        with_schedule(services, kb_rebuild=disabled),
        functions={"weekly_digest": RECORDER, "kb_rebuild": RECORDER},
    )
    scheduler.start(paused=True)
    try:
        assert [job.id for job in scheduler.get_jobs()] == ["weekly_digest"]
    finally:
        scheduler.shutdown()


def test_weekly_digest_trigger_gives_monday_nine_local_time_on_both_sides_of_the_dst_change(
    services: Services,
) -> None:
    scheduler = build_scheduler(services)
    scheduler.start(paused=True)
    try:
        trigger = scheduler.get_job("weekly_digest").trigger
    finally:
        scheduler.shutdown()

    before = trigger.get_next_fire_time(None, datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    after = trigger.get_next_fire_time(before, datetime(2026, 10, 27, 12, 0, tzinfo=UTC))

    assert (before, after) == (MONDAY_BEFORE_DST_END, MONDAY_AFTER_DST_END)
    local = [t.astimezone(DENVER) for t in (before, after)]
    assert [(t.hour, t.tzname()) for t in local] == [(9, "MDT"), (9, "MST")]


def test_the_scheduled_job_fires_at_the_right_utc_instant_across_the_dst_change(
    services: Services, fired: queue.Queue[datetime]
) -> None:
    with time_machine.travel(datetime(2026, 10, 25, 12, 0, tzinfo=UTC), tick=False) as clock:
        scheduler = build_scheduler(services, functions={"weekly_digest": RECORDER})
        with running(scheduler) as outcomes:
            for monday in (MONDAY_BEFORE_DST_END, MONDAY_AFTER_DST_END):
                clock.move_to(monday)
                scheduler.wakeup()
                outcome = outcomes.get(timeout=10)
                assert (outcome.code, outcome.scheduled_run_time) == (EVENT_JOB_EXECUTED, monday)
                assert fired.get(timeout=10) == monday


def test_a_run_missed_by_a_short_restart_still_runs_once(
    services: Services, fired: queue.Queue[datetime]
) -> None:
    with time_machine.travel(datetime(2026, 10, 26, 14, 0, tzinfo=UTC), tick=False) as clock:
        restart_clock(services, weekly_digest=RECORDER)  # down from 08:00 local
        clock.move_to(datetime(2026, 10, 26, 15, 5, tzinfo=UTC))  # back at 09:05 local

        scheduler = build_scheduler(services, functions={"weekly_digest": RECORDER})
        with running(scheduler) as outcomes:
            outcome = outcomes.get(timeout=10)
            next_run = scheduler.get_job("weekly_digest").next_run_time

    assert (outcome.code, outcome.scheduled_run_time) == (EVENT_JOB_EXECUTED, MONDAY_BEFORE_DST_END)
    assert fired.qsize() == 1
    assert outcomes.empty()
    assert next_run == MONDAY_AFTER_DST_END


def test_a_run_missed_by_more_than_the_grace_time_is_skipped(
    services: Services, fired: queue.Queue[datetime]
) -> None:
    with time_machine.travel(datetime(2026, 10, 26, 14, 0, tzinfo=UTC), tick=False) as clock:
        restart_clock(services, weekly_digest=RECORDER)
        clock.move_to(datetime(2026, 10, 26, 16, 5, tzinfo=UTC))  # 10:05 local: 65 min late

        with running(build_scheduler(services, functions={"weekly_digest": RECORDER})) as outcomes:
            outcome = outcomes.get(timeout=10)

    assert (outcome.code, outcome.scheduled_run_time) == (EVENT_JOB_MISSED, MONDAY_BEFORE_DST_END)
    assert fired.empty()


def test_several_missed_runs_coalesce_into_one(
    services: Services, fired: queue.Queue[datetime]
) -> None:
    # Grace long enough that none of three missed nightly runs is too late to run.
    patient = with_schedule(services, misfire_grace_seconds=4 * 86_400)
    with time_machine.travel(datetime(2026, 10, 20, 12, 0, tzinfo=UTC), tick=False) as clock:
        restart_clock(patient, kb_rebuild=RECORDER)
        # Down over the 02:30 runs of 21, 22 and 23 October (08:30 UTC each).
        clock.move_to(datetime(2026, 10, 23, 9, 0, tzinfo=UTC))

        with running(build_scheduler(patient, functions={"kb_rebuild": RECORDER})) as outcomes:
            outcome = outcomes.get(timeout=10)

    latest_missed = datetime(2026, 10, 23, 8, 30, tzinfo=UTC)
    assert (outcome.code, outcome.scheduled_run_time) == (EVENT_JOB_EXECUTED, latest_missed)
    assert outcomes.empty()
    assert fired.qsize() == 1


def test_the_clock_process_runs_a_blocking_scheduler_until_it_is_shut_down(
    services: Services, fired: queue.Queue[datetime]
) -> None:
    with time_machine.travel(datetime(2026, 10, 25, 12, 0, tzinfo=UTC), tick=False) as clock:
        scheduler = build_scheduler(
            services, scheduler_cls=BlockingScheduler, functions={"weekly_digest": RECORDER}
        )
        started = threading.Event()
        scheduler.add_listener(lambda _: started.set())  # any event: the loop is running
        loop = threading.Thread(target=scheduler.start)
        loop.start()
        try:
            assert started.wait(timeout=10)
            clock.move_to(MONDAY_BEFORE_DST_END)
            scheduler.wakeup()
            assert fired.get(timeout=10) == MONDAY_BEFORE_DST_END
        finally:
            scheduler.shutdown()
            loop.join(timeout=10)
    assert not loop.is_alive()


def test_the_scheduled_weekly_digest_records_a_run_triggered_by_the_schedule(
    services: Services, sample_warehouse: Warehouse
) -> None:
    weekly_digest_job(services.settings)

    runs = [run for run in services.state.recent_runs(limit=10) if run.workflow == WEEKLY_GTM]
    assert [(run.trigger, run.started_by, run.status) for run in runs] == [
        ("schedule", SCHEDULER_USER, "succeeded")
    ]


@pytest.mark.slow
def test_the_nightly_rebuild_reingests_the_help_centre_and_keeps_human_answers(
    services: Services, ingested_kb: Path
) -> None:
    question = "do you rent snowshoes for the weekend"
    kb = build_knowledge_base(services)
    learn_from_human(kb, services.state, question, "No rentals.", author="maya")
    # In the vector store only, never kept in the state store: a rebuild drops it.
    kb.add_human_answer(
        HumanAnswer(
            answer_id="stray",
            question="is the Boulder store open on Sundays",
            answer="Yes.",
            author="sam",
            approved_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
    )
    chunks = load_chunks(DEFAULT_KB_DIR)
    articles = len(chunks) + sum(len(c.questions) for c in chunks)  # passages and questions
    assert kb.store.count(kb.collection) == articles + 2

    kb_rebuild_job(services.settings)

    rebuilt = build_knowledge_base(services)
    assert rebuilt.store.count(rebuilt.collection) == articles + 1
    assert rebuilt.search(question, k=1)[0].kind == "human"


def test_a_scheduled_job_runs_on_the_settings_the_clock_was_given_not_the_environment(
    services: Services, sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    given = Settings(
        CONTROLROOM_VAR_DIR=str(tmp_path / "clock"), WAREHOUSE_PATH=str(sample_warehouse.path)
    )
    clock_services = build_services(given)
    try:
        scheduler = build_scheduler(
            clock_services, functions={"weekly_digest": JOB_FUNCTIONS["weekly_digest"]}
        )
        job = scheduler.get_job("weekly_digest")
        # What the job store keeps: the function's name and the clock's id, no secret.
        assert (job.func_ref, list(job.kwargs)) == ("bot.scheduler:run_weekly_digest", ["clock"])
        with running(scheduler) as outcomes:
            job.modify(next_run_time=datetime.now(UTC))
            scheduler.wakeup()
            outcome = outcomes.get(timeout=60)
        assert outcome.exception is None, outcome.traceback
        runs = clock_services.state.recent_runs(limit=5)
    finally:
        clock_services.close()

    assert [(run.workflow, run.trigger) for run in runs] == [(WEEKLY_GTM, "schedule")]
    assert services.state.recent_runs(limit=5) == []  # the environment's state: untouched
    with pytest.raises(LookupError, match="has shut down"):
        run_weekly_digest(**job.kwargs)  # the clock is gone, and its settings with it
