"""Run a pausing workflow one step at a time: until it pauses for a person or ends.

A workflow that asks for approval is a ``WorkflowSpec`` (how to rebuild its uncompiled graph and
check edits of its proposal). ``advance`` runs the graph on the checkpointer until its
``interrupt()`` or its end and records where the run stands in the state store, returning a
``RunOutcome`` (paused with a ``Proposal``, or finished with a ``Result``); ``resume_payload`` is
what a decision resumes the graph with. ``StepContext`` is what the nodes may use from their
caller without it being checkpointed. Who may decide, and deciding once, is
``workflows.approvals``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from langgraph.graph import StateGraph
from langgraph.types import Command

from integrations.statestore import ApprovalRecord, RunStatus, StateStore
from workflows.proposals import (
    Proposal,
    RejectedResult,
    Result,
    SendResult,
    load_proposal,
    load_result,
)
from workflows.runtime import open_checkpointer, run_config, start_or_continue

CheckEdits = Callable[[Mapping[str, Any], Proposal], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    """How to rebuild one workflow's graph (uncompiled) and check edits of its proposal
    (``check_edits`` None: the workflow takes no edits)."""

    build: Callable[[], StateGraph[Any, Any]]
    check_edits: CheckEdits | None = None


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """Where a run stands after a step: paused with a proposal, or finished with a result."""

    run_id: str
    workflow: str
    status: RunStatus
    proposal: Proposal | None = None
    result: Result | None = None


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a run's nodes may use from their caller, never checkpointed (LangGraph's runtime
    context): ``on_progress`` hears a long step's progress (a send's counts)."""

    on_progress: Callable[..., None] | None = None


def advance(
    spec: WorkflowSpec,
    run_id: str,
    graph_input: dict[str, Any] | Command[Any] | None,
    *,
    state: StateStore,
    database_url: str,
    workflow: str,
    on_progress: Callable[..., None] | None = None,
) -> RunOutcome:
    """Run a workflow graph until it pauses or ends, and record where it stands.

    A pause (``interrupt()``) asks for approval with the interrupt's value (a ``Proposal``) as
    the summary and marks the run paused; the end marks it succeeded (partial when a send names
    a ``problem``, rejected when a person rejected it); an exception marks it failed and
    propagates (the checkpoint lets ``ApprovalDesk.resume`` continue it). A first input
    (a dict) for a run that has a checkpoint already continues it from there instead
    (``start_or_continue``: a redelivered queue task's run).
    """
    state.finish_run(run_id, "running")
    try:
        with open_checkpointer(database_url) as saver:
            if isinstance(graph_input, dict):
                graph_input = start_or_continue(saver, run_id, graph_input)
            graph = spec.build().compile(checkpointer=saver)
            final = graph.invoke(
                graph_input,
                run_config(run_id),
                context=StepContext(on_progress),
                durability="sync",
            )
    except Exception as error:
        state.finish_run(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise
    interrupts = final.get("__interrupt__")
    if interrupts:
        proposal = load_proposal(interrupts[0].value)
        state.request_approval(
            run_id, workflow=workflow, kind=proposal.kind, summary=proposal.stored()
        )
        state.finish_run(run_id, "paused")
        return RunOutcome(run_id, workflow, "paused", proposal=proposal)
    result = load_result(final["outcome"])
    # A send that did not wholly go (emails failed or in doubt) says why in its "problem"; a
    # proposal a person rejected did nothing, and says so.
    problem = result.problem if isinstance(result, SendResult) else None
    status: RunStatus = "partial" if problem else "succeeded"
    if isinstance(result, RejectedResult):
        status = "rejected"
    state.finish_run(run_id, status, error=problem)
    return RunOutcome(run_id, workflow, status, result=result)


def resume_payload(approval: ApprovalRecord) -> dict[str, Any]:
    """What ``interrupt()`` returns inside the graph: the decision and who took it."""
    return {
        "decision": approval.status,
        "actor": approval.decided_by,
        "reason": approval.reason,
        "edits": approval.edits or {},
    }
