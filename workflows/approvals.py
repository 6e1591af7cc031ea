"""Decide a paused run exactly once: claim its approval atomically, then resume its graph.

LangGraph alone runs two simultaneous resumes of one paused run both (approve *and* reject). So
every decision first claims the approval row in the state store (one conditional UPDATE … WHERE
status = 'pending'); only the winner resumes the graph, with ``Command(resume=...)`` and
``durability="sync"``. The loser gets ``AlreadyDecidedError`` ("already approved by X at T") and
the refusal is audited. The CLI and the Slack buttons call the same ``ApprovalDesk`` methods.

Exceptions::

    ApprovalError
     ├── NotAnApproverError      the person is not an approver in policies/approvals.yaml
     ├── AlreadyDecidedError     someone decided first: who, what and when
     ├── NoSuchApprovalError     no run with this id is waiting for a decision
     └── InvalidDecisionError    a rejection without a reason, an edit the workflow cannot apply
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph.graph import StateGraph
from langgraph.types import Command

from integrations.statestore import (
    ApprovalRecord,
    Decision,
    RunStatus,
    StateStore,
    UnknownApprovalError,
    UnknownRunError,
)
from policies.schema import ApprovalPolicy
from workflows.runtime import open_checkpointer, run_config

logger = logging.getLogger(__name__)

DECISIONS: tuple[Decision, ...] = ("approved", "rejected", "edited")


class ApprovalError(RuntimeError):
    """Base of the approval exceptions."""


class NotAnApproverError(ApprovalError):
    """The person may not decide approvals."""


class NoSuchApprovalError(ApprovalError):
    """No run with this id is waiting for (or was given) a decision."""


class InvalidDecisionError(ApprovalError):
    """A decision the workflow cannot take: a rejection without a reason, a bad edit."""


class AlreadyDecidedError(ApprovalError):
    """Someone else decided first; carries who, what and when."""

    def __init__(self, approval: ApprovalRecord) -> None:
        self.approval = approval
        when = f"{approval.decided_at:%Y-%m-%d %H:%M:%S} UTC" if approval.decided_at else "?"
        super().__init__(f"already {approval.status} by {approval.decided_by} at {when}")


def _no_edits(edits: Mapping[str, Any]) -> dict[str, Any]:
    raise InvalidDecisionError("this workflow takes no edits")


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    """How to rebuild one workflow's graph (uncompiled) and check the edits it accepts."""

    build: Callable[[], StateGraph[Any]]
    kind: str
    check_edits: Callable[[Mapping[str, Any]], dict[str, Any]] = _no_edits


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """Where a run stands after a step: paused with a proposal, or finished with a result."""

    run_id: str
    workflow: str
    status: RunStatus
    proposal: dict[str, Any] | None = None
    result: dict[str, Any] = field(default_factory=dict)


def advance(
    spec: WorkflowSpec,
    run_id: str,
    graph_input: dict[str, Any] | Command[Any] | None,
    *,
    state: StateStore,
    database_url: str,
    workflow: str,
) -> RunOutcome:
    """Run a workflow graph until it pauses or ends, and record where it stands.

    A pause (``interrupt()``) asks for approval with the interrupt's value as the summary and
    marks the run paused; the end marks it succeeded; an exception marks it failed and
    propagates (the checkpoint lets ``ApprovalDesk.resume`` continue it).
    """
    state.finish_run(run_id, "running")
    try:
        with open_checkpointer(database_url) as saver:
            graph = spec.build().compile(checkpointer=saver)
            final = graph.invoke(graph_input, run_config(run_id), durability="sync")
    except Exception as error:
        state.finish_run(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise
    interrupts = final.get("__interrupt__")
    if interrupts:
        proposal = dict(interrupts[0].value)
        state.request_approval(run_id, workflow=workflow, kind=spec.kind, summary=proposal)
        state.finish_run(run_id, "paused")
        return RunOutcome(run_id, workflow, "paused", proposal=proposal)
    state.finish_run(run_id, "succeeded")
    return RunOutcome(run_id, workflow, "succeeded", result=dict(final.get("outcome") or {}))


def resume_payload(approval: ApprovalRecord) -> dict[str, Any]:
    """What ``interrupt()`` returns inside the graph: the decision and who took it."""
    return {
        "decision": approval.status,
        "actor": approval.decided_by,
        "reason": approval.reason,
        "edits": approval.edits or {},
    }


class ApprovalDesk:
    """List, decide and resume paused runs; the one entry point for the CLI and Slack."""

    def __init__(
        self,
        *,
        state: StateStore,
        database_url: str,
        policy: ApprovalPolicy,
        workflows: Mapping[str, WorkflowSpec],
    ) -> None:
        self.state = state
        self.database_url = database_url
        self.policy = policy
        self.workflows = workflows

    def pending(self) -> list[ApprovalRecord]:
        """Approvals waiting for a decision, newest first."""
        return self.state.approvals(status="pending")

    def find(self, run_id: str) -> ApprovalRecord:
        """The approval of a run, by its id or a unique prefix of it (as the CLI shows it)."""
        try:
            return self.state.get_approval(run_id)
        except UnknownApprovalError:
            pass
        matches = [a for a in self.state.approvals(limit=1000) if a.run_id.startswith(run_id)]
        if len(matches) != 1:
            found = "no approval" if not matches else f"{len(matches)} approvals"
            raise NoSuchApprovalError(f"{found} for run id {run_id!r}") from None
        return matches[0]

    def authorise(self, actor: str, run_id: str | None = None) -> None:
        """Refuse (and audit) anyone who is not an approver in the policy."""
        if actor in self.policy.approver_user_ids:
            return
        self.state.record_audit(
            "approval_refused", actor=actor, run_id=run_id, reason="not an approver"
        )
        raise NotAnApproverError(
            f"{actor} is not an approver (policies/approvals.yaml: approver_user_ids)"
        )

    def decide(
        self,
        run_id: str,
        decision: Decision,
        actor: str,
        *,
        reason: str | None = None,
        edits: Mapping[str, Any] | None = None,
    ) -> RunOutcome:
        """Claim the pending approval for ``actor`` and resume the run with the decision.

        Of simultaneous callers exactly one resumes the run; the others get
        ``AlreadyDecidedError`` and an ``approval_refused`` audit entry.
        """
        if decision not in DECISIONS:
            raise InvalidDecisionError(f"a decision is one of {', '.join(DECISIONS)}")
        approval = self.find(run_id)
        run_id = approval.run_id
        self.authorise(actor, run_id)
        spec = self._spec(approval.workflow)
        checked: dict[str, Any] | None = None
        if decision == "rejected" and not (reason and reason.strip()):
            raise InvalidDecisionError("a rejection needs a reason (--reason)")
        if decision == "edited":
            checked = spec.check_edits(edits or {})
        claim = self.state.claim_approval(
            run_id, decision, actor=actor, reason=reason, edits=checked
        )
        if not claim.won:
            refusal = AlreadyDecidedError(claim.approval)
            self.state.record_audit(
                "approval_refused", actor=actor, run_id=run_id, reason=str(refusal)
            )
            raise refusal
        self.state.record_audit(
            decision, actor=actor, run_id=run_id, reason=reason, edits=checked or {}
        )
        logger.info("run %s %s by %s", run_id, decision, actor)
        return advance(
            spec,
            run_id,
            Command(resume=resume_payload(claim.approval)),
            state=self.state,
            database_url=self.database_url,
            workflow=approval.workflow,
        )

    def resume(self, run_id: str, actor: str) -> RunOutcome:
        """Continue a run that stopped after its decision (a crash, a provider outage).

        Safe to repeat: finished nodes do not re-run and sending is idempotent per customer.
        """
        self.authorise(actor, run_id)
        try:
            run = self.state.get_run(run_id)
        except UnknownRunError:
            run = self.state.get_run(self.find(run_id).run_id)
        spec = self._spec(run.workflow)
        with open_checkpointer(self.database_url) as saver:
            snapshot = spec.build().compile(checkpointer=saver).get_state(run_config(run.run_id))
        if not snapshot.next:
            raise InvalidDecisionError(f"run {run.run_id} has nothing left to do")
        graph_input: Command[Any] | None = None
        if snapshot.interrupts:
            approval = self.state.get_approval(run.run_id)
            if approval.status == "pending":
                raise InvalidDecisionError(
                    f"run {run.run_id} is waiting for a decision: approve, reject or edit it"
                )
            # Decided, but the process died before the graph took the decision in.
            graph_input = Command(resume=resume_payload(approval))
        self.state.record_audit("resumed", actor=actor, run_id=run.run_id)
        return advance(
            spec,
            run.run_id,
            graph_input,
            state=self.state,
            database_url=self.database_url,
            workflow=run.workflow,
        )

    def _spec(self, workflow: str) -> WorkflowSpec:
        try:
            return self.workflows[workflow]
        except KeyError:
            raise ApprovalError(f"no workflow {workflow!r} is set up on this desk") from None
