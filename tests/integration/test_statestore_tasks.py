"""Queue tasks in the state store, on SQLite and on real PostgreSQL: migration 0011 down and
up, deliveries counted (a second copy of a task running now is not), the runs of an earlier
delivery handed back to the next (or failed when it does not take them), a decision's run
tied to its task, a task given up past the allowed deliveries, and what ``controlroom runs``
shows of them."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from controlroom.cli import app
from integrations.statestore import StateStore, TaskOutcome, UnknownTaskError, process_name
from tests.integration._migrations import migrate_to

WORK = "bot.work.weekly_digest"


def _queued(store: StateStore) -> str:
    task_id = uuid.uuid4().hex
    store.queue_task(task_id, work=WORK, queue="batch")
    return task_id


def test_queue_tasks_migrate_down_to_0010_and_up_again_keeping_the_runs(
    store: StateStore,
) -> None:
    run = store.start_run("weekly_gtm", started_by="U1", trigger="command")
    store.record_audit("noted", actor="U1", run_id=run.run_id)  # a foreign key to the run
    store.queue_task("t1", work=WORK, queue="batch")

    migrate_to(store, "0010", down=True)
    inspector = sa.inspect(store.engine)
    assert "queue_tasks" not in inspector.get_table_names()
    assert "task_id" not in {c["name"] for c in inspector.get_columns("runs")}

    migrate_to(store, "head")
    inspector = sa.inspect(store.engine)
    assert "ix_queue_tasks_queued_at" in {i["name"] for i in inspector.get_indexes("queue_tasks")}
    assert "ix_runs_task_id" in {i["name"] for i in inspector.get_indexes("runs")}
    assert store.get_run(run.run_id).task_id is None
    assert [e.action for e in store.audit_entries(run_id=run.run_id)] == ["noted"]
    assert store.task("t1") is None  # the downgrade dropped the table and its rows
    store.queue_task("t1", work=WORK, queue="batch")
    assert store.task("t1") is not None


def test_each_pick_up_is_counted_by_this_worker_and_its_runs_are_tied_to_the_task(
    store: StateStore,
) -> None:
    task_id = _queued(store)
    queued = store.task(task_id)
    assert queued is not None
    assert (queued.status, queued.deliveries, queued.worker) == ("queued", 0, None)

    pickup = store.pick_up_task(task_id, max_deliveries=3)
    assert (pickup.task.status, pickup.task.deliveries) == ("running", 1)
    assert pickup.task.worker == process_name() and not pickup.task.retried
    assert pickup.closed_runs == () and not pickup.given_up
    with store.working_on(task_id):
        run = store.start_run("weekly_gtm", started_by="U1", trigger="command")
    outside = store.start_run("weekly_gtm", started_by="U1", trigger="cli")
    assert (run.task_id, outside.task_id) == (task_id, None)

    store.finish_task(task_id, "succeeded")
    done = store.task(task_id)
    assert done is not None and (done.status, done.error) == ("succeeded", None)
    assert done.finished_at is not None and done.picked_at is not None


def test_a_second_delivery_gets_back_the_run_the_first_left_running_and_no_other(
    store: StateStore,
) -> None:
    task_id, other_task = _queued(store), _queued(store)
    store.pick_up_task(task_id, max_deliveries=3)
    store.pick_up_task(other_task, max_deliveries=3)
    with store.working_on(task_id):
        stuck = store.start_run("winback", started_by="U1", trigger="command")
        paused = store.start_run("winback", started_by="U1", trigger="command")
        store.finish_run(paused.run_id, "paused")
    with store.working_on(other_task):
        elsewhere = store.start_run("winback", started_by="U2", trigger="command")

    again = store.pick_up_task(task_id, max_deliveries=3)
    with store.working_on(task_id, resuming=again.unfinished):
        continued = store.start_run("winback", started_by="U1", trigger="command")
        fresh = store.start_run("winback", started_by="U1", trigger="command")

    assert [run.run_id for run in again.unfinished] == [stuck.run_id]
    assert again.closed_runs == () and not again.given_up and not again.duplicate
    assert (again.task.status, again.task.deliveries, again.task.retried) == ("running", 2, True)
    assert (continued.run_id, continued.status, continued.task_id) == (
        stuck.run_id,
        "running",
        task_id,
    )
    assert fresh.run_id not in {stuck.run_id, paused.run_id}
    resumed = store.audit_entries(run_id=stuck.run_id)
    assert [(e.action, e.detail) for e in resumed] == [("resumed", {"task_id": task_id})]
    assert store.get_run(paused.run_id).status == "paused"
    assert store.get_run(elsewhere.run_id).status == "running"


def test_a_run_the_next_delivery_does_not_take_back_is_failed_as_interrupted(
    store: StateStore,
) -> None:
    task_id = _queued(store)
    store.pick_up_task(task_id, max_deliveries=3)
    with store.working_on(task_id):
        stuck = store.start_run("weekly_gtm", started_by="U1", trigger="command")
    with store.engine.begin() as connection:  # as if a worker on another machine ran it
        connection.execute(sa.text("UPDATE runs SET process = 'gone-host:41'"))

    again = store.pick_up_task(task_id, max_deliveries=3)
    with store.working_on(task_id, resuming=again.unfinished):
        other = store.start_run("winback", started_by="U1", trigger="command")

    interrupted = store.get_run(stuck.run_id)
    assert interrupted.status == "failed" and interrupted.finished_at is not None
    assert interrupted.error is not None and interrupted.error.startswith("interrupted:")
    assert "gone-host:41" in interrupted.error
    assert store.get_run(other.run_id).status == "running"


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_a_task_that_has_ended_is_not_run_again_when_delivered_again(
    store: StateStore, outcome: TaskOutcome
) -> None:
    # Its acknowledgement lost (the worker died after the work, before the ack): the broker
    # gives it out again, but its caller has had the reply.
    task_id = _queued(store)
    store.pick_up_task(task_id, max_deliveries=1)
    store.finish_task(task_id, outcome)

    again = store.pick_up_task(task_id, max_deliveries=1)

    assert again.duplicate and not again.given_up
    assert (again.task.status, again.task.deliveries) == (outcome, 1)
    task = store.task(task_id)
    assert task is not None and (task.status, task.deliveries) == (outcome, 1)


def test_a_second_copy_of_a_task_running_now_is_a_duplicate_and_not_counted(
    store: StateStore,
) -> None:
    task_id = _queued(store)
    store.pick_up_task(task_id, max_deliveries=3, duplicate_within=timedelta(minutes=5))
    with store.working_on(task_id):
        running = store.start_run("winback", started_by="U1", trigger="command")

    copy = store.pick_up_task(task_id, max_deliveries=3, duplicate_within=timedelta(minutes=5))
    later = store.pick_up_task(task_id, max_deliveries=3, duplicate_within=timedelta(0))

    assert copy.duplicate and copy.unfinished == () and copy.task.deliveries == 1
    assert not later.duplicate and later.task.deliveries == 2
    assert [run.run_id for run in later.unfinished] == [running.run_id]


def test_a_task_whose_pool_process_died_on_this_machine_is_run_again_at_once(
    store: StateStore,
) -> None:
    # A pool process killed mid-task (out of memory): its worker gives the task out again at
    # once, well inside the duplicate window; the dead holder must not make it a duplicate.
    task_id = _queued(store)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE queue_tasks SET deliveries = 1, status = 'running', worker = :w, "
                "picked_at = :at "
                "WHERE task_id = :t"
            ),
            {"w": process_name(child.pid), "t": task_id, "at": datetime.now(UTC)},
        )

    again = store.pick_up_task(task_id, max_deliveries=3, duplicate_within=timedelta(minutes=5))

    assert not again.duplicate and again.task.deliveries == 2
    assert again.task.worker == process_name()


def test_a_decision_claimed_in_a_task_is_tied_to_it_and_its_next_delivery_gets_it_back(
    store: StateStore,
) -> None:
    run = store.start_run("winback", started_by="U1", trigger="command")
    store.request_approval(run.run_id, workflow="winback", kind="campaign", summary={})
    store.finish_run(run.run_id, "paused")
    task_id = _queued(store)
    store.pick_up_task(task_id, max_deliveries=3)
    with store.working_on(task_id):
        assert store.claim_approval(run.run_id, "approved", actor="U0APPROVER").won
    claimed = store.get_run(run.run_id)

    again = store.pick_up_task(task_id, max_deliveries=3)
    with store.working_on(task_id, resuming=again.unfinished):
        assert store.continued_run(run_id="another-run") is None
        taken = store.continued_run(run_id=run.run_id)
        assert store.continued_run(run_id=run.run_id) is None  # handed back once

    assert (claimed.status, claimed.task_id, claimed.process) == (
        "running",
        task_id,
        process_name(),
    )
    assert taken is not None and taken.run_id == run.run_id


def test_a_task_delivered_more_often_than_allowed_is_given_up_and_its_run_failed(
    store: StateStore,
) -> None:
    task_id = _queued(store)
    for delivery in (1, 2, 3):
        pickup = store.pick_up_task(task_id, max_deliveries=3)
        assert (pickup.task.deliveries, pickup.given_up) == (delivery, False)
        with store.working_on(task_id, resuming=pickup.unfinished):
            last = store.start_run("weekly_gtm", started_by="U1", trigger="schedule")

    fourth = store.pick_up_task(task_id, max_deliveries=3)

    assert fourth.given_up and fourth.closed_runs == (last.run_id,)
    assert fourth.task.status == "given_up" and fourth.task.deliveries == 4
    assert fourth.task.error == "given up after 3 deliveries"
    failed = store.get_run(last.run_id)
    assert (failed.status, failed.error) == ("failed", "given up after 3 deliveries")
    assert [t.task_id for t in store.recent_tasks(statuses=("given_up",))] == [task_id]
    assert store.recent_tasks(statuses=("queued", "running")) == []


def test_one_allowed_delivery_says_delivery_in_the_singular(store: StateStore) -> None:
    task_id = _queued(store)
    store.pick_up_task(task_id, max_deliveries=1)
    assert store.pick_up_task(task_id, max_deliveries=1).task.error == ("given up after 1 delivery")


def test_picking_up_a_task_never_queued_is_refused(store: StateStore) -> None:
    with pytest.raises(UnknownTaskError):
        store.pick_up_task("never-queued", max_deliveries=3)


def test_runs_list_and_show_name_the_queued_retried_and_given_up_tasks_and_their_workers(
    isolated_environment: Path,
) -> None:
    store = StateStore(f"sqlite:///{isolated_environment / 'controlroom.db'}")
    store.migrate()
    waiting = _queued(store)
    retried = _queued(store)
    given_up = _queued(store)
    store.pick_up_task(retried, max_deliveries=3)
    store.pick_up_task(retried, max_deliveries=3)
    with store.working_on(retried):
        run = store.start_run("weekly_gtm", started_by="U0MARKETER", trigger="command")
    store.pick_up_task(given_up, max_deliveries=1)
    store.pick_up_task(given_up, max_deliveries=1)
    store.close()
    runner = CliRunner()

    listed = runner.invoke(app, ["runs", "list"], env={"COLUMNS": "250"})
    shown = runner.invoke(app, ["runs", "show", run.run_id[:8]], env={"COLUMNS": "250"})

    assert listed.exit_code == 0, listed.output
    assert "Task queue" in listed.output
    for task_id in (waiting, retried, given_up):
        assert task_id[:8] in listed.output
    assert "queued" in listed.output and "retried" in listed.output
    assert "given_up" in listed.output
    assert process_name() in listed.output
    assert "2 deliveries (retried)" in listed.output
    assert shown.exit_code == 0, shown.output
    assert f"worker      {process_name()}" in shown.output
    assert f"task        {retried} ({WORK}, batch queue): running, 2 deliveries" in shown.output
