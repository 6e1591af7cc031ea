"""What crosses a worker process's boundary: the desk's refusals pickle as themselves, with what
they carry; the thread runner calls a work function with its services first; and how many
worker processes the settings allow."""

from __future__ import annotations

import asyncio
import pickle
import threading
from datetime import UTC, datetime
from typing import Any

from bot.runner import (
    WORKFLOW_PROCESSES,
    ThreadRunner,
    WorkersUnavailableError,
    workflow_processes,
)
from bot.worker import WorkerError
from bot.workers import WorkersNotStartedError
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.statestore import ApprovalRecord
from tests.proposals import answer_proposal, winback_proposal
from workflows.approvals import (
    AlreadyDecidedError,
    InvalidDecisionError,
    NoSuchApprovalError,
    NotAnApproverError,
)
from workflows.proposals import TicketResult
from workflows.steps import RunOutcome

DECIDED = ApprovalRecord(
    run_id="run-1",
    workflow="winback",
    kind="campaign",
    status="approved",
    round=1,
    requested_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    summary={"audience": 120},
    decided_by="U0APPROVER",
    decided_at=datetime(2026, 11, 23, 9, 5, tzinfo=UTC),
    reason=None,
    edits=None,
    channel_id="C0APPROVALS",
    message_ts="1764000000.000001",
    reminded_at=None,
)


def round_trip(error: Exception) -> Any:
    return pickle.loads(pickle.dumps(error))


def test_already_decided_pickles_with_the_approval_and_its_message_in_the_team_time() -> None:
    copy = round_trip(AlreadyDecidedError(DECIDED, "America/Denver"))
    assert type(copy) is AlreadyDecidedError
    assert (copy.approval, copy.timezone) == (DECIDED, "America/Denver")
    # 09:05 UTC on 23 November is 02:05 in Denver (MST, UTC-7).
    assert str(copy) == "already approved by U0APPROVER at 2026-11-23 02:05 MST"


def test_a_run_outcome_pickles_with_its_typed_proposal_or_result() -> None:
    paused = RunOutcome("run-1", "winback", "paused", proposal=winback_proposal())
    escalated = RunOutcome("run-2", "support", "paused", proposal=answer_proposal())
    ticket = TicketResult(reason="goats", where="Zendesk", url=None)
    done = RunOutcome("run-2", "support", "succeeded", result=ticket)
    for outcome in (paused, escalated, done):
        assert pickle.loads(pickle.dumps(outcome)) == outcome


def test_an_invalid_decision_pickles_with_its_fields() -> None:
    copy = round_trip(InvalidDecisionError("check the fields", fields={"discount": "too high"}))
    assert type(copy) is InvalidDecisionError
    assert copy.fields == {"discount": "too high"}
    assert (str(copy), copy.field) == ("check the fields", "discount")


def test_the_other_refusals_and_the_runners_errors_pickle_as_themselves() -> None:
    for error in (
        NotAnApproverError("only approvers may decide"),
        NoSuchApprovalError("no approval for run id 'x'"),
        WorkerError("ValueError (not picklable) in a worker"),
        WorkersUnavailableError("100 workflow calls are held already"),
        WorkersNotStartedError("a workflow worker failed to start"),
    ):
        copy = round_trip(error)
        assert (type(copy), str(copy)) == (type(error), str(error))


def record_call(services: Services, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    return services, args, kwargs, threading.current_thread().name


def test_the_thread_runner_calls_with_its_services_first_in_a_workflow_thread() -> None:
    services: Any = object()  # stands in: the runner only passes it on
    runner = ThreadRunner(services, threads=1)
    try:
        got = asyncio.run(runner.call(record_call, "U0MARKETER", trigger="command"))
    finally:
        runner.close()
    assert got[:3] == (services, ("U0MARKETER",), {"trigger": "command"})
    assert got[3].startswith("workflow")
    assert runner.busy is False


def test_one_worker_process_shares_the_embedded_chroma_store_a_chroma_server_allows_more() -> None:
    assert workflow_processes(Settings(_env_file=None)) == 1
    with_server = Settings(_env_file=None, CHROMA_URL="http://127.0.0.1:8000")
    assert workflow_processes(with_server) == WORKFLOW_PROCESSES == 2
