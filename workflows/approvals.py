"""Decide a paused run exactly once: claim its approval atomically, then resume its graph.

LangGraph alone runs two simultaneous resumes of one paused run both (approve *and* reject). So
every decision first claims the approval row in the state store (one conditional UPDATE … WHERE
status = 'pending'); only the winner resumes the graph, with ``Command(resume=...)`` and
``durability="sync"``. The loser gets ``AlreadyDecidedError`` ("already approved by X at T", T
in the team's time zone) and the refusal is audited. The CLI and the Slack buttons call the same
``ApprovalDesk`` methods. Running the graph a step (``advance``, ``RunOutcome``,
``WorkflowSpec``) is ``workflows.steps``.

Who may decide is the policy's ``approver_user_ids``, unless the caller passes the approvers it
resolved (the Slack app adds the members of the policy's user group): the desk never calls
Slack. ``check_decision`` checks a decision without taking it, for a form that must answer at
once; pending approvals are reminded once per ``remind_after_hours`` (``due_reminders``).

Exceptions::

    ApprovalError
     ├── NotAnApproverError      the person is not an approver in policies/approvals.yaml
     ├── AlreadyDecidedError     someone decided first: who, what and when
     ├── NoSuchApprovalError     no run with this id is waiting for a decision
     └── InvalidDecisionError    a rejection without a reason, an edit the workflow cannot apply
                                 (``fields``: each wrong field and what was wrong with it)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from langgraph.types import Command, StateSnapshot

from integrations.statestore import (
    ApprovalRecord,
    Decision,
    RunRecord,
    StateStore,
    UnknownApprovalError,
    UnknownRunError,
)
from integrations.team_time import team_time
from policies.schema import ApprovalPolicy
from workflows.proposals import load_proposal
from workflows.runtime import open_checkpointer, run_config
from workflows.steps import RunOutcome, WorkflowSpec, advance, resume_payload

logger = logging.getLogger(__name__)

DECISIONS: tuple[Decision, ...] = ("approved", "rejected", "edited")


class ApprovalError(RuntimeError):
    """Base of the approval exceptions."""


class NotAnApproverError(ApprovalError):
    """The person may not decide approvals."""


class NoSuchApprovalError(ApprovalError):
    """No run with this id is waiting for (or was given) a decision."""


class InvalidDecisionError(ApprovalError):
    """A decision the workflow cannot take: a rejection without a reason, a bad edit.

    ``fields`` maps each edited field that was wrong to what was wrong with it, so a form can
    show the message beside the field; it is empty when the problem is not one field's.
    """

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})

    @property
    def field(self) -> str | None:
        """The (first) field that was wrong, if the problem is a field's."""
        return next(iter(self.fields), None)


class AlreadyDecidedError(ApprovalError):
    """Someone else decided first; carries who, what and when (said in ``timezone``, the
    team's)."""

    def __init__(self, approval: ApprovalRecord, timezone: str) -> None:
        self.approval = approval
        self.timezone = timezone
        when = team_time(approval.decided_at, timezone) if approval.decided_at else "?"
        super().__init__(f"already {approval.status} by {approval.decided_by} at {when}")

    def __reduce__(self) -> tuple[type[AlreadyDecidedError], tuple[ApprovalRecord, str]]:
        # Pickled (from a worker process) as its approval and zone: the default would call
        # ``AlreadyDecidedError(message)``, and the message is not an approval.
        return (type(self), (self.approval, self.timezone))


class ApprovalDesk:
    """List, decide and resume paused runs; the one entry point for the CLI and Slack.
    ``timezone`` (policies/schedule.yaml's) is the one a refusal tells the time in."""

    def __init__(
        self,
        *,
        state: StateStore,
        database_url: str,
        policy: ApprovalPolicy,
        workflows: Mapping[str, WorkflowSpec],
        timezone: str,
    ) -> None:
        self.state = state
        self.database_url = database_url
        self.policy = policy
        self.workflows = workflows
        self.timezone = timezone

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

    def exact(self, run_id: str) -> ApprovalRecord:
        """The approval of exactly this run id, as a Slack button or modal carries it: no
        prefix matching (an empty value would match every run), unlike ``find``."""
        if not run_id:
            raise NoSuchApprovalError(
                "this carries no run id: use the buttons on the proposal itself"
            )
        try:
            return self.state.get_approval(run_id)
        except UnknownApprovalError:
            shown = run_id if len(run_id) <= 40 else f"{run_id[:40]}…"
            raise NoSuchApprovalError(
                f"no approval for run id {shown!r}: see `/controlroom approvals` for what waits"
            ) from None

    def authorise(
        self, actor: str, run_id: str | None = None, *, approvers: Collection[str] | None = None
    ) -> None:
        """Refuse (and audit) anyone who is not an approver.

        ``approvers`` is who may decide as the caller resolved it (the Slack app adds the
        members of the policy's user group); without it, the policy's listed user ids.
        """
        allowed = self.policy.approver_user_ids if approvers is None else approvers
        if actor in allowed:
            return
        self.state.record_audit(
            "approval_refused", actor=actor, run_id=run_id, reason="not an approver"
        )
        raise NotAnApproverError(
            f"{actor} is not an approver (policies/approvals.yaml: approver_user_ids)"
        )

    def pending_for(
        self, run_id: str, actor: str, *, approvers: Collection[str] | None = None
    ) -> ApprovalRecord:
        """The pending approval of a run that ``actor`` may decide.

        Refuses (and audits) a non-approver with ``NotAnApproverError`` and a run already decided
        with ``AlreadyDecidedError``; before a form is shown, and before a decision is claimed.
        """
        approval = self.find(run_id)
        self.authorise(actor, approval.run_id, approvers=approvers)
        if approval.status != "pending":
            raise self._refuse_late(approval, actor)
        return approval

    def check_decision(
        self,
        run_id: str,
        decision: Decision,
        actor: str,
        *,
        reason: str | None = None,
        edits: Mapping[str, Any] | None = None,
        approvers: Collection[str] | None = None,
    ) -> tuple[ApprovalRecord, dict[str, Any] | None]:
        """Everything ``decide`` checks before it claims, without claiming: who decides, that
        the run still waits, the reason of a rejection and the edits (the workflow's own
        ``check_edits``). Returns the approval as it stands and the checked edits.

        A form that must answer within seconds (a Slack modal) checks with this, then decides.
        """
        if decision not in DECISIONS:
            raise InvalidDecisionError(f"a decision is one of {', '.join(DECISIONS)}")
        approval = self.pending_for(run_id, actor, approvers=approvers)
        spec = self._spec(approval.workflow)
        if decision == "rejected" and not (reason and reason.strip()):
            raise InvalidDecisionError("a rejection needs a reason (--reason)")
        if decision != "edited":
            return approval, None
        if spec.check_edits is None:
            raise InvalidDecisionError("this workflow takes no edits")
        return approval, spec.check_edits(edits or {}, load_proposal(approval.summary))

    def decide(
        self,
        run_id: str,
        decision: Decision,
        actor: str,
        *,
        reason: str | None = None,
        edits: Mapping[str, Any] | None = None,
        approvers: Collection[str] | None = None,
        on_progress: Callable[..., None] | None = None,
    ) -> RunOutcome:
        """Claim the pending approval for ``actor`` and resume the run with the decision.

        Of simultaneous callers exactly one resumes the run; the others get
        ``AlreadyDecidedError`` and an ``approval_refused`` audit entry. ``approvers`` as for
        ``authorise``; ``on_progress`` hears the run's progress (a send's counts).

        A decision's queue task delivered again after its worker died has claimed the approval
        already (its run is tied to the task: ``StateStore.claim_approval``): it continues the
        run from its checkpoint instead of being refused.
        """
        continued = self.state.continued_run(run_id=run_id)
        if continued is not None:
            return self._continue(continued, on_progress)
        approval, checked = self.check_decision(
            run_id, decision, actor, reason=reason, edits=edits, approvers=approvers
        )
        run_id = approval.run_id
        spec = self._spec(approval.workflow)
        claim = self.state.claim_approval(
            run_id, decision, actor=actor, reason=reason, edits=checked
        )
        if not claim.won:
            raise self._refuse_late(claim.approval, actor)
        detail: dict[str, Any] = {"reason": reason, "edits": checked or {}}
        if decision == "edited":
            # What the person saw before the edit, so the change can be shown (15% → 20%).
            detail["was"] = _figures(approval.summary)
        self.state.record_audit(decision, actor=actor, run_id=run_id, **detail)
        logger.info("run %s %s by %s", run_id, decision, actor)
        return advance(
            spec,
            run_id,
            Command(resume=resume_payload(claim.approval)),
            state=self.state,
            database_url=self.database_url,
            workflow=approval.workflow,
            on_progress=on_progress,
        )

    def due_reminders(self, now: datetime) -> list[ApprovalRecord]:
        """Pending approvals asked more than the policy's ``remind_after_hours`` ago and not
        reminded within that delay: each is reminded once per delay."""
        delay = timedelta(hours=self.policy.remind_after_hours)
        return self.state.approvals_to_remind(asked_before=now - delay)

    def mark_reminded(self, run_id: str, now: datetime) -> bool:
        """Record a reminder before it is sent; False when the run was decided meanwhile."""
        return self.state.record_reminder(run_id, at=now)

    def resume(
        self, run_id: str, actor: str, *, on_progress: Callable[..., None] | None = None
    ) -> RunOutcome:
        """Continue a run that stopped after its decision (a crash, a provider outage).

        Safe to repeat: finished nodes do not re-run and sending is idempotent per customer.
        """
        self.authorise(actor, run_id)
        try:
            run = self.state.get_run(run_id)
        except UnknownRunError:
            run = self.state.get_run(self.find(run_id).run_id)
        snapshot = self._snapshot(run)
        if not snapshot.next:
            raise InvalidDecisionError(f"run {run.run_id[:8]} has nothing left to do")
        if snapshot.interrupts and self.state.get_approval(run.run_id).status == "pending":
            raise InvalidDecisionError(
                f"run {run.run_id[:8]} is waiting for a decision: approve, reject or edit it"
            )
        self.state.record_audit("resumed", actor=actor, run_id=run.run_id)
        return self._continue(run, on_progress)

    def _continue(self, run: RunRecord, on_progress: Callable[..., None] | None) -> RunOutcome:
        """Run a decided run on from its checkpoint: with its decision when the process that
        claimed it died before the graph took the decision in, else from where it stopped (a
        run paused again, after an edit, asks again; a finished one records how it ended)."""
        snapshot = self._snapshot(run)
        graph_input: Command[Any] | None = None
        if snapshot.interrupts:
            approval = self.state.get_approval(run.run_id)
            decision = resume_payload(approval)
            # Pending: asked again after an edit. Taken in already: the interrupt is the next
            # round's question, not yet recorded as asked.
            if approval.status != "pending" and snapshot.values.get("decision") != decision:
                graph_input = Command(resume=decision)
        return advance(
            self._spec(run.workflow),
            run.run_id,
            graph_input,
            state=self.state,
            database_url=self.database_url,
            workflow=run.workflow,
            on_progress=on_progress,
        )

    def _snapshot(self, run: RunRecord) -> StateSnapshot:
        spec = self._spec(run.workflow)
        with open_checkpointer(self.database_url) as saver:
            return spec.build().compile(checkpointer=saver).get_state(run_config(run.run_id))

    def _refuse_late(self, approval: ApprovalRecord, actor: str) -> AlreadyDecidedError:
        refusal = AlreadyDecidedError(approval, self.timezone)
        self.state.record_audit(
            "approval_refused", actor=actor, run_id=approval.run_id, reason=str(refusal)
        )
        return refusal

    def _spec(self, workflow: str) -> WorkflowSpec:
        try:
            return self.workflows[workflow]
        except KeyError:
            raise ApprovalError(f"no workflow {workflow!r} is set up on this desk") from None


def _figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The plain values of a summary (figures and short texts, not its lists of samples)."""
    return {k: v for k, v in summary.items() if v is None or isinstance(v, str | int | float)}
