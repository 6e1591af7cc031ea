"""The state store on SQLite and on real PostgreSQL: migrations, runs, audit log, outbox."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from integrations.statestore import (
    QueuedEmail,
    Settlement,
    SlackThread,
    StateStore,
    StateStoreUnavailableError,
    UnknownRunError,
    process_name,
)
from integrations.statestore.store import HEAD_REVISION
from integrations.statestore.tables import approvals, outbox, run_threads, runs
from tests.integration._migrations import MIGRATIONS, migrate_to


def test_migrating_twice_is_harmless_and_creates_every_table(store: StateStore) -> None:
    store.migrate()
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"runs", "audit_log", "outbox", "alembic_version"} <= tables


def test_the_head_revision_the_store_checks_is_alembics_newest_migration() -> None:
    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD_REVISION


def test_a_store_behind_the_newest_migration_is_brought_to_it(store: StateStore) -> None:
    migrate_to(store, "0009", down=True)
    assert not _thread_ts_nullable(store)

    store.migrate()

    assert _thread_ts_nullable(store)
    with store.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert list(version.scalars()) == [HEAD_REVISION]


def test_a_store_at_the_newest_migration_starts_without_loading_alembic(
    store: StateStore,
) -> None:
    # In a fresh interpreter: this test process has loaded Alembic long ago.
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from integrations.statestore import StateStore; "
            f"StateStore({store.url!r}).migrate(); print('alembic' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert opened.stdout.strip() == "False"


def test_a_run_is_recorded_from_start_to_finish_with_its_cost(store: StateStore) -> None:
    before = datetime.now(UTC)
    run = store.start_run("weekly_gtm", started_by="U0APPROVER", trigger="command")
    assert run.status == "running"
    assert before - timedelta(seconds=1) <= run.started_at <= datetime.now(UTC)
    store.finish_run(run.run_id, "paused", input_tokens=100, output_tokens=20, cost_usd=0.001)
    done = store.finish_run(run.run_id, "succeeded", input_tokens=50, cost_usd=0.0005)
    assert done.status == "succeeded"
    assert done.finished_at is not None and done.finished_at >= done.started_at
    assert (done.input_tokens, done.output_tokens) == (150, 20)
    assert done.cost_usd == pytest.approx(0.0015)


def test_runs_left_running_by_a_dead_process_are_failed_and_no_others(
    store: StateStore,
) -> None:
    here = process_name()
    assert here == f"{socket.gethostname()}:{os.getpid()}"
    stuck = store.start_run("weekly_gtm", started_by="U1", trigger="command")
    paused = store.start_run("winback", started_by="U1", trigger="command")
    store.finish_run(paused.run_id, "paused")
    elsewhere = store.start_run("support", started_by="U2", trigger="message")
    with store.engine.begin() as connection:  # as if another worker process had started it
        connection.execute(
            runs.update().where(runs.c.run_id == elsewhere.run_id).values(process="other:1")
        )
    assert store.get_run(stuck.run_id).process == here

    reason = "interrupted: the workflow process died"
    assert store.interrupt_runs({here, "gone:2"}, reason) == [stuck.run_id]
    failed = store.get_run(stuck.run_id)
    assert (failed.status, failed.error) == ("failed", reason)
    assert failed.finished_at is not None
    assert store.get_run(paused.run_id).status == "paused"
    assert store.get_run(elsewhere.run_id).status == "running"
    # Resumed (after an approval) in this process, a paused run records it again.
    assert store.finish_run(paused.run_id, "running").process == here
    assert store.interrupt_runs(set(), reason) == []


def test_a_lock_held_by_one_holder_is_refused_to_another_until_released(
    store: StateStore, database_url: str
) -> None:
    # Another holder: its own engine, as another process has (a lock file or a PostgreSQL
    # advisory lock is not re-entered by a second connection or file handle).
    other = StateStore(database_url)
    try:
        with (
            store.exclusive("knowledge_base"),
            pytest.raises(StateStoreUnavailableError, match="lock"),
            other.exclusive("knowledge_base", timeout_s=1),
        ):
            pass
        with other.exclusive("knowledge_base", timeout_s=1):
            pass
    finally:
        other.close()


def test_finishing_an_unknown_run_is_an_error(store: StateStore) -> None:
    with pytest.raises(UnknownRunError):
        store.finish_run("no-such-run", "failed")


def test_recent_runs_come_newest_first_and_filter_by_workflow(store: StateStore) -> None:
    first = store.start_run("weekly_gtm", started_by="schedule", trigger="schedule")
    second = store.start_run("winback", started_by="U1", trigger="command")
    third = store.start_run("weekly_gtm", started_by="U2", trigger="button")
    assert [r.run_id for r in store.recent_runs()] == [third.run_id, second.run_id, first.run_id]
    weekly = store.recent_runs(workflow="weekly_gtm")
    assert [r.run_id for r in weekly] == [third.run_id, first.run_id]


def test_the_audit_log_keeps_who_did_what_to_which_run(store: StateStore) -> None:
    run = store.start_run("winback", started_by="U1", trigger="command")
    store.record_audit("proposed", actor="controlroom", run_id=run.run_id, audience=312)
    store.record_audit("approved", actor="U0APPROVER", run_id=run.run_id, discount=0.15)
    store.record_audit("config_checked", actor="cli")
    entries = store.audit_entries(run_id=run.run_id)
    assert [(e.action, e.actor) for e in entries] == [
        ("proposed", "controlroom"),
        ("approved", "U0APPROVER"),
    ]
    assert entries[1].detail == {"discount": 0.15}
    assert entries[0].at.tzinfo is not None
    assert len(store.audit_entries()) == 3


def test_an_email_is_queued_once_per_run_and_customer(store: StateStore) -> None:
    run = store.start_run("winback", started_by="U1", trigger="command")
    first = store.queue_email(run.run_id, 7, recipient="a@example.com", subject="Hi", body="b")
    again = store.queue_email(run.run_id, 7, recipient="a@example.com", subject="Hi 2", body="c")
    assert again == first
    assert again.subject == "Hi"
    other = store.queue_email(run.run_id, 8, recipient="b@example.com", subject="Hi", body="b")
    assert other.email_id != first.email_id
    assert [e.customer_id for e in store.outbox_emails(run_id=run.run_id)] == [7, 8]


def test_concurrent_queueing_of_the_same_email_yields_one_row(store: StateStore) -> None:
    run = store.start_run("winback", started_by="U1", trigger="command")

    def queue(_: int) -> int:
        email = store.queue_email(run.run_id, 42, recipient="x@example.com", subject="s", body="b")
        return email.email_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(queue, range(16)))
    assert len(ids) == 1
    assert len(store.outbox_emails(run_id=run.run_id)) == 1


def test_a_claimed_email_is_settled_only_by_its_claim(store: StateStore) -> None:
    run = store.start_run("winback", started_by="U1", trigger="command")
    email = store.queue_email(run.run_id, 1, recipient="a@example.com", subject="s", body="b")
    assert [e.email_id for e in store.claim_emails(run.run_id, "t1", limit=10).emails] == [
        email.email_id
    ]
    assert store.claim_emails(run.run_id, "t2", limit=10).emails == []
    assert store.settle_emails("t2", [Settlement(email.email_id, "sent", "m-2")]) == 0
    assert store.settle_emails("t1", [Settlement(email.email_id, "sent", "m-1")]) == 1
    assert store.settle_emails("t1", [Settlement(email.email_id, "failed")]) == 0
    (sent,) = store.outbox_emails(status="sent")
    assert sent.provider_message_id == "m-1"
    assert sent.sent_at is not None
    assert store.outbox_emails(status="queued") == []


def _attempted_at(store: StateStore, email_id: int) -> datetime | None:
    with store.engine.connect() as connection:
        return connection.execute(
            sa.select(outbox.c.attempted_at).where(outbox.c.email_id == email_id)
        ).scalar_one()


def test_a_dead_senders_claim_leaves_only_its_attempt_in_doubt_and_counted_against_the_cap(
    store: StateStore,
) -> None:
    people = [(i, f"person{i}@example.com") for i in (1, 2, 3)]
    first, second = (store.start_run("winback", started_by="U1", trigger="cli") for _ in "ab")
    for run in (first, second):
        store.queue_emails(run.run_id, [QueuedEmail(c, a, "s", "b") for c, a in people])
    one, two, three = store.claim_emails(first.run_id, "dead", limit=3).emails
    assert store.attempt_email("dead", one.email_id)
    assert store.attempt_email("dead", two.email_id, Settlement(one.email_id, "sent", "m-1"))
    since = datetime.now(UTC) - timedelta(days=1)
    # While claimed, all three may be emailed as far as another campaign can tell.
    assert set(store.recently_contacted(people, since=since)) == {1, 2, 3}

    # Its process died: 2 was handed to the provider (in doubt), 3 never left (queued again).
    assert store.mark_emails_in_doubt(first.run_id, processes=[process_name()], reason="x") == 1
    statuses = {e.customer_id: e.status for e in store.outbox_emails(run_id=first.run_id)}
    assert statuses == {1: "sent", 2: "in_doubt", 3: "queued"}
    assert _attempted_at(store, two.email_id) is not None
    assert _attempted_at(store, three.email_id) is None
    assert store.sending_processes(first.run_id) == set()
    assert not store.attempt_email("dead", three.email_id)

    # The other campaign skips the person emailed and the one maybe emailed, not the third.
    batch = store.claim_emails(second.run_id, "live", limit=10, cap_since=since)
    assert ([e.customer_id for e in batch.emails], batch.capped) == ([3], 2)


def test_a_stopped_send_releases_its_unattempted_claims_and_its_attempt_is_in_doubt(
    store: StateStore,
) -> None:
    run = store.start_run("winback", started_by="U1", trigger="cli")
    store.queue_emails(run.run_id, [QueuedEmail(i, f"p{i}@example.com", "s", "b") for i in (1, 2)])
    one, two = store.claim_emails(run.run_id, "t1", limit=2).emails
    assert store.attempt_email("t1", one.email_id)
    assert store.release_claims("t1", reason="it stopped") == 1
    statuses = {e.customer_id: (e.status, e.error) for e in store.outbox_emails(run_id=run.run_id)}
    assert statuses == {1: ("in_doubt", "it stopped"), 2: ("queued", None)}
    # A person's verdict "never arrived" queues it again, unattempted.
    assert store.settle_in_doubt(one.email_id, "queued", reason="not at the provider").status == (
        "queued"
    )
    assert _attempted_at(store, one.email_id) is None


def test_an_outbox_row_must_belong_to_a_known_run(store: StateStore) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        store.queue_email("unknown-run", 1, recipient="a@example.com", subject="s", body="b")


def test_a_pending_approval_is_reminded_once_per_delay_and_never_once_decided(
    store: StateStore,
) -> None:
    old, fresh, decided = (
        store.start_run("winback", started_by="U1", trigger="cli") for _ in "abc"
    )
    for run in (old, fresh, decided):
        store.request_approval(run.run_id, workflow="winback", kind="campaign", summary={})
    store.claim_approval(decided.run_id, "approved", actor="U0APPROVER")
    asked = store.get_approval(old.run_id).requested_at
    # Pretend the first was asked a day ago.
    with store.engine.begin() as connection:
        connection.execute(
            approvals.update()
            .where(approvals.c.run_id.in_((old.run_id, decided.run_id)))
            .values(requested_at=asked - timedelta(days=1))
        )
    cutoff = asked - timedelta(hours=1)
    assert [a.run_id for a in store.approvals_to_remind(asked_before=cutoff)] == [old.run_id]
    assert store.record_reminder(old.run_id, at=asked)
    assert store.approvals_to_remind(asked_before=cutoff) == []
    assert store.get_approval(old.run_id).reminded_at == asked
    # A day later it is due again; a decided approval is never reminded.
    later = asked + timedelta(days=1)
    assert [a.run_id for a in store.approvals_to_remind(asked_before=later)] == [
        old.run_id,
        fresh.run_id,
    ]
    assert not store.record_reminder(decided.run_id)


def test_the_thread_a_run_answers_into_is_kept_and_replaced(store: StateStore) -> None:
    run = store.start_run("support", started_by="U1", trigger="command")
    assert store.run_thread(run.run_id) is None
    store.record_run_thread(run.run_id, SlackThread("C0HELP", "1764000000.000100"))
    store.record_run_thread(run.run_id, SlackThread("D0ASKER", "1764000000.000200"))
    assert store.run_thread(run.run_id) == SlackThread("D0ASKER", "1764000000.000200")


def test_an_inline_answer_keeps_no_thread_and_is_never_the_thread_of_a_follow_up(
    store: StateStore,
) -> None:
    first = store.start_run("ask", started_by="U1", trigger="message")
    second = store.start_run("ask", started_by="U2", trigger="message")
    for run in (first, second):
        store.record_run_thread(run.run_id, SlackThread("D0ASKER", None))
    assert store.run_thread(first.run_id) == SlackThread("D0ASKER", None)
    assert store.latest_run_in_thread(SlackThread("D0ASKER", None), "ask") is None
    store.record_run_thread(first.run_id, SlackThread("D0ASKER", "1764000000.000300"))
    assert store.run_thread(first.run_id) == SlackThread("D0ASKER", "1764000000.000300")
    assert store.latest_run_in_thread(SlackThread("D0ASKER", "1764000000.000300"), "ask") == (
        first.run_id
    )
    store.record_run_thread(first.run_id, SlackThread("D0ASKER", None))
    assert store.run_thread(first.run_id) == SlackThread("D0ASKER", None)


def _thread_ts_nullable(store: StateStore) -> bool:
    columns = sa.inspect(store.engine).get_columns("run_threads")
    return bool(next(c for c in columns if c["name"] == "thread_ts")["nullable"])


def test_inline_run_threads_migrate_down_to_0009_and_up_again(store: StateStore) -> None:
    threaded = store.start_run("support", started_by="U1", trigger="message")
    inline = store.start_run("support", started_by="U2", trigger="message")
    store.record_run_thread(threaded.run_id, SlackThread("C0HELP", "1764000000.000100"))
    store.record_run_thread(inline.run_id, SlackThread("D0ASKER", None))
    assert _thread_ts_nullable(store)

    migrate_to(store, "0009", down=True)
    assert not _thread_ts_nullable(store)
    # The older schema cannot say "inline": that place is forgotten, threads are kept.
    assert store.run_thread(inline.run_id) is None
    assert store.run_thread(threaded.run_id) == SlackThread("C0HELP", "1764000000.000100")
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
        connection.execute(
            run_threads.insert().values(
                run_id=inline.run_id,
                channel_id="D0ASKER",
                thread_ts=None,
                recorded_at=datetime.now(UTC),
            )
        )

    migrate_to(store, "head")
    assert _thread_ts_nullable(store)
    store.record_run_thread(inline.run_id, SlackThread("D0ASKER", None))
    assert store.run_thread(inline.run_id) == SlackThread("D0ASKER", None)
    assert store.run_thread(threaded.run_id) == SlackThread("C0HELP", "1764000000.000100")
    # The table kept its lookup index and its foreign key through SQLite's copy.
    inspector = sa.inspect(store.engine)
    assert "ix_run_threads_thread" in {i["name"] for i in inspector.get_indexes("run_threads")}
    [foreign_key] = inspector.get_foreign_keys("run_threads")
    assert foreign_key["referred_table"] == "runs"


def test_outbox_attempts_migrate_down_to_0011_and_up_again_keeping_the_rows(
    store: StateStore,
) -> None:
    run = store.start_run("winback", started_by="U1", trigger="cli")
    email = store.queue_email(run.run_id, 1, recipient="a@example.com", subject="s", body="b")

    migrate_to(store, "0011", down=True)
    inspector = sa.inspect(store.engine)
    assert "attempted_at" not in {c["name"] for c in inspector.get_columns("outbox")}
    [foreign_key] = inspector.get_foreign_keys("outbox")
    assert foreign_key["referred_table"] == "runs"

    migrate_to(store, "head")
    assert [e.email_id for e in store.outbox_emails(run_id=run.run_id)] == [email.email_id]
    (claimed,) = store.claim_emails(run.run_id, "t1", limit=1).emails
    assert store.attempt_email("t1", claimed.email_id)
    assert _attempted_at(store, claimed.email_id) is not None


def test_support_question_languages_migrate_down_to_0012_and_up_again_keeping_the_rows(
    store: StateStore,
) -> None:
    now = datetime.now(UTC)
    run = store.start_run("support", started_by="U1", trigger="message")
    store.record_support_question(
        run.run_id,
        question="¿hacen envíos a Canadá?",
        confidence=0.9,
        escalated=False,
        reasons=(),
        language="es",
    )
    window = {"since": now - timedelta(days=1), "until": now + timedelta(days=1)}
    assert [q.language for q in store.support_questions(**window)] == ["es"]

    migrate_to(store, "0012", down=True)
    inspector = sa.inspect(store.engine)
    assert "language" not in {c["name"] for c in inspector.get_columns("support_questions")}

    migrate_to(store, "head")
    # The row stays; its language went with the column (read as English, as before 0013).
    (kept,) = store.support_questions(**window)
    assert (kept.question, kept.confidence, kept.language) == ("¿hacen envíos a Canadá?", 0.9, None)
