"""The clock: APScheduler running the scheduled jobs of ``policies/schedule.yaml``.

Jobs live in a persistent job store on the state database (table ``scheduler_jobs``), so a
restart keeps each job's next run time and a run missed by less than ``misfire_grace_seconds``
still happens once. Exactly one process runs the clock (the ``clock`` role): ``run_clock``.

Each job is a module-level function named by reference ("bot.scheduler:run_weekly_digest")
whose one argument is the id of the clock that scheduled it: the stored job holds no live object
and no secret. ``build_scheduler`` keeps the settings (and the runner) it was given under that id
for as long as the clock runs in this process, and the job builds its own services from them
(never from the environment), runs one workflow and closes them.

Where the work runs: with a ``runner`` that sends to the task queue (``QueueRunner``, when a
broker is configured) each job is sent whole, so that a ``controlroom worker`` runs it and posts
its result in Slack (the digest and the rebuild on the batch queue) while the clock only
enqueues; without one, in the clock.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN, SchedulerEvent
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk.web.async_client import AsyncWebClient

from bot import work
from bot.digest import publish_digest
from bot.handoff import BATCH, INTERACTIVE
from bot.overlaps import refresh_overlapping_campaigns
from bot.reminders import remind_pending_approvals
from bot.runner import TaskSender, ThreadRunner, WorkflowRunner
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from policies.schema import ScheduledJob, SchedulePolicy

logger = logging.getLogger(__name__)

# A job as a worker runs it: over its services; told instead when the queue gave it up.
ClockJob = Callable[..., None]

# The job store's own table in the state database.
JOBS_TABLE: Final = "scheduler_jobs"
# Who the run history says started a scheduled run.
SCHEDULER_USER: Final = "scheduler"
_JOB_STORE: Final = "default"

# Job id (a key of schedule.yaml) -> the function the clock runs, as "module:function".
JOB_FUNCTIONS: Final[Mapping[str, str]] = {
    "weekly_digest": "bot.scheduler:run_weekly_digest",
    "kb_rebuild": "bot.scheduler:run_kb_rebuild",
    "approval_reminders": "bot.scheduler:run_approval_reminders",
}


@dataclass(frozen=True, slots=True)
class _Clock:
    """What the jobs of a clock run on: its settings, and the runner their work is sent
    through (None: a thread of this process)."""

    settings: Settings
    runner: WorkflowRunner | None


# Every clock running in this process, by clock id (what a stored job carries).
_CLOCKS: dict[str, _Clock] = {}


def build_scheduler(
    services: Services,
    *,
    scheduler_cls: type[BaseScheduler] = BackgroundScheduler,
    functions: Mapping[str, str] = JOB_FUNCTIONS,
    runner: WorkflowRunner | None = None,
) -> BaseScheduler:
    """A scheduler (not started) over the state database's job store, with one job per entry
    of ``functions`` timed by the schedule policy; a job the policy disables is removed from
    the store. ``functions`` lets a test schedule its own recorder in place of the real work.

    Each job is called with ``clock=`` this scheduler's id, under which ``services.settings``
    and ``runner`` are kept until the scheduler shuts down: the jobs run on the settings given
    here, their work sent through ``runner`` (started by the caller) or, without one, run in
    a thread of this process.
    """
    policy = services.policies.schedule
    clock = uuid.uuid4().hex
    store = SQLAlchemyJobStore(engine=services.state.engine, tablename=JOBS_TABLE)
    scheduler = scheduler_cls(
        jobstores={_JOB_STORE: store},
        timezone=ZoneInfo(policy.timezone),
        job_defaults={
            "misfire_grace_time": policy.misfire_grace_seconds,
            "coalesce": True,
            "max_instances": 1,
        },
    )
    _CLOCKS[clock] = _Clock(services.settings, runner)

    def forget_clock(event: SchedulerEvent) -> None:
        _CLOCKS.pop(clock, None)

    scheduler.add_listener(forget_clock, EVENT_SCHEDULER_SHUTDOWN)
    # Before start the scheduler only sees jobs added in this process; the store itself shows
    # what an earlier clock left (``start`` creates the table and is repeated harmlessly).
    store.start(scheduler, _JOB_STORE)
    for job_id, function in functions.items():
        schedule = _schedule_of(policy, job_id)
        if schedule.enabled:
            schedule_job(
                scheduler,
                job_id,
                function,
                schedule,
                policy,
                clock=clock,
                stored=_stored(store, job_id),
            )
        else:
            _remove_stored(store, job_id)
    return scheduler


def schedule_job(
    scheduler: BaseScheduler,
    job_id: str,
    function: str,
    schedule: ScheduledJob,
    policy: SchedulePolicy,
    *,
    clock: str,
    stored: Job | None = None,
) -> None:
    """Add (or replace) the job ``job_id`` running ``function(clock=clock)`` ("module:function")
    on ``schedule``'s cron line in the policy's time zone.

    When ``stored`` (the job an earlier clock persisted) has the same function and trigger, its
    next run time is kept: replacing it would otherwise count from now and lose a run missed
    while the clock was down. ``coalesce`` makes several missed runs one; ``misfire_grace_time``
    lets a run missed by a short restart still happen (APScheduler's default is one second).
    """
    trigger = CronTrigger.from_crontab(schedule.cron, timezone=ZoneInfo(policy.timezone))
    kept: dict[str, Any] = {}
    if stored is not None and stored.func_ref == function and repr(stored.trigger) == repr(trigger):
        kept["next_run_time"] = stored.next_run_time
    scheduler.add_job(
        function,
        trigger,
        kwargs={"clock": clock},
        id=job_id,
        name=job_id,
        jobstore=_JOB_STORE,
        replace_existing=True,
        misfire_grace_time=policy.misfire_grace_seconds,
        coalesce=True,
        max_instances=1,
        **kept,
    )
    logger.info("scheduled %s (%s) at '%s' %s", job_id, function, schedule.cron, policy.timezone)


def run_clock(services: Services, *, runner: WorkflowRunner | None = None) -> None:
    """Run the scheduled jobs until the process is stopped (the ``clock`` role; one only),
    their work sent through ``runner`` (started: the task queue's) or run by the clock."""
    scheduler = build_scheduler(services, scheduler_cls=BlockingScheduler, runner=runner)
    logger.info(
        "clock started in %s; its jobs run %s",
        services.policies.schedule.timezone,
        "on the task queue" if runner is not None else "in this process",
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        logger.info("clock stopped")


def run_weekly_digest(clock: str) -> None:
    """The ``weekly_digest`` job: ``weekly_digest_job`` on the settings of ``clock``."""
    found = _clock_of(clock)
    weekly_digest_job(found.settings, runner=found.runner)


def run_kb_rebuild(clock: str) -> None:
    """The ``kb_rebuild`` job: ``kb_rebuild_job`` on the settings of ``clock``."""
    found = _clock_of(clock)
    kb_rebuild_job(found.settings, runner=found.runner)


def run_approval_reminders(clock: str) -> None:
    """The ``approval_reminders`` job: ``approval_reminders_job`` on the settings of ``clock``."""
    found = _clock_of(clock)
    approval_reminders_job(found.settings, runner=found.runner)


def weekly_digest_job(settings: Settings, *, runner: WorkflowRunner | None = None) -> None:
    """The scheduled weekly GTM digest (``weekly_digest``): sent to the batch queue when
    ``runner`` sends there, else run here."""
    _run_job(settings, runner, weekly_digest, BATCH)


def kb_rebuild_job(settings: Settings, *, runner: WorkflowRunner | None = None) -> None:
    """The nightly knowledge-base rebuild (``kb_rebuild``): sent to the batch queue when
    ``runner`` sends there, else run here."""
    _run_job(settings, runner, kb_rebuild, BATCH)


def approval_reminders_job(settings: Settings, *, runner: WorkflowRunner | None = None) -> None:
    """The approval reminders (``approval_reminders``): sent to the interactive queue when
    ``runner`` sends there, else run here."""
    _run_job(settings, runner, approval_reminders, INTERACTIVE)


def weekly_digest(services: Services, *, given_up: str | None = None) -> None:
    """The weekly GTM digest, recorded as a run with trigger "schedule" and posted in the digest
    channel (progress, digest, charts in its thread) when a bot token is set."""
    if given_up is not None:
        logger.error("scheduled weekly digest given up: %s", given_up)
        return
    runner = ThreadRunner(services, threads=None)
    client = _slack_client(services)
    if client is None:
        digest = asyncio.run(runner.call(work.weekly_digest, SCHEDULER_USER, trigger="schedule"))
        logger.warning(
            "weekly digest %s not posted in Slack: SLACK_BOT_TOKEN is not set", digest.run_id
        )
        return
    published = asyncio.run(
        publish_digest(client, services, SCHEDULER_USER, trigger="schedule", runner=runner)
    )
    logger.info(
        "scheduled weekly digest %s posted in %s", published.digest.run_id, published.channel_id
    )


def kb_rebuild(services: Services, *, given_up: str | None = None) -> None:
    """Re-ingest the help centre, keeping every human answer."""
    if given_up is not None:
        logger.error("scheduled knowledge-base rebuild given up: %s", given_up)
        return
    report = work.kb_rebuild(services)
    logger.info(
        "scheduled knowledge-base rebuild: %d passages from %d articles, %d human answers",
        report.chunks,
        report.articles,
        report.human_answers,
    )


def approval_reminders(services: Services, *, given_up: str | None = None) -> None:
    """Remind pending approvals in their threads after the policy's ``remind_after_hours``
    (once per delay, however often the job runs), and say on pending campaigns who another
    campaign has emailed since they were proposed (a send approved from the CLI updates no
    Slack message); without a bot token, nothing to post to."""
    if given_up is not None:
        logger.error("scheduled approval reminders given up: %s", given_up)
        return
    client = _slack_client(services)
    if client is None:
        logger.warning("approval reminders not posted: SLACK_BOT_TOKEN is not set")
        return
    asyncio.run(_remind_and_refresh(client, services, ThreadRunner(services, threads=None)))


async def _remind_and_refresh(
    client: AsyncWebClient, services: Services, runner: WorkflowRunner
) -> None:
    await remind_pending_approvals(client, services, runner=runner)
    await refresh_overlapping_campaigns(client, runner)


def _run_job(settings: Settings, runner: WorkflowRunner | None, job: ClockJob, queue: str) -> None:
    """``job`` sent to ``queue`` for a worker to run, when ``runner`` sends to a task queue
    (the clock then only enqueues); else run here, over services of its own."""
    if isinstance(runner, TaskSender):
        runner.send(job, queue=queue, work=f"clock: {job.__name__}")
        logger.info("scheduled %s sent to the %s queue", job.__name__, queue)
        return
    with _job_services(settings) as services:
        job(services)


def _slack_client(services: Services) -> AsyncWebClient | None:
    token = services.settings.slack_bot_token
    if token is None:
        return None
    return AsyncWebClient(token=token.get_secret_value(), base_url=services.settings.slack_api_url)


def _clock_of(clock: str) -> _Clock:
    try:
        return _CLOCKS[clock]
    except KeyError:
        # Only a clock's own scheduler runs its jobs: another clock replaces them at start.
        raise LookupError(f"the clock {clock} that scheduled this job has shut down") from None


@contextmanager
def _job_services(settings: Settings) -> Iterator[Services]:
    """Services of their own for one run, closed after it."""
    services = build_services(settings)
    try:
        yield services
    finally:
        services.close()


def _schedule_of(policy: SchedulePolicy, job_id: str) -> ScheduledJob:
    schedule = getattr(policy, job_id, None)
    if not isinstance(schedule, ScheduledJob):
        raise ValueError(f"{job_id!r} is not a job in schedule.yaml")
    return schedule


def _stored(store: SQLAlchemyJobStore, job_id: str) -> Job | None:
    try:
        job: Job | None = store.lookup_job(job_id)
    except LookupError:
        # The stored function no longer imports (renamed): the job is replaced.
        logger.warning("stored job %s refers to a missing function; replacing it", job_id)
        return None
    return job


def _remove_stored(store: SQLAlchemyJobStore, job_id: str) -> None:
    try:
        store.remove_job(job_id)
    except JobLookupError:
        return
    logger.info("removed %s: disabled in schedule.yaml", job_id)
