"""What each Slack request runs: one workflow call over the services, blocking. The listeners
stay about Slack; this module is the only place they reach the workflows, with the same
arguments the CLI passes, and ``trigger`` saying it came from Slack.

The listeners call these through the app's ``bot.runner.WorkflowRunner``, which supplies the
services: in a worker process (its own services) or a thread of the app's. So each is a
module-level function (sent by reference), and its arguments, result and exceptions pickle.
A single read or write of the state store on an answer's way out (where it was posted, a
feedback click, the run's thread, and the run lists of ``status`` and ``approvals``) runs in a
thread of the app itself (``asyncio.to_thread``, with the app's services): a trip through a
worker, or the task queue, would cost more than the write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from agents.planner.plans import SupportPlan
from agents.support import IngestReport
from controlroom import team
from controlroom.services import Services, rebuild_knowledge_base
from integrations.statestore import (
    ApprovalRecord,
    AuditEntry,
    Decision,
    RunRecord,
    SlackThread,
    Trigger,
)
from integrations.warehouse.metrics import Explanation, MetricCatalog, MetricsLayer
from workflows.ask import WORKFLOW as ASK
from workflows.ask import Answer, plan_explanations, stored_plans
from workflows.control_room import ControlRoom, read_control_room
from workflows.digest import Digest
from workflows.proposals import AnsweredResult, AnswerProposal, SampleEmail
from workflows.sending import SendReport
from workflows.steps import RunOutcome
from workflows.support_escalation import WORKFLOW as SUPPORT
from workflows.support_escalation import start_support
from workflows.weekly_gtm import SectionProgress, run_weekly_gtm
from workflows.winback import WORKFLOW as WINBACK
from workflows.winback import start_winback
from workflows.winback_audience import Targeting, targeting
from workflows.winback_review import recipient_draft as winback_recipient_draft


def ask(
    services: Services, question: str, user_id: str, *, thread: SlackThread | None = None
) -> Answer:
    """Answer a free-text question: planned and answered from the metrics layer and the
    specialists' tools; in ``thread`` (an answer's), as a follow-up of its last answer."""
    return team.ask(services, question, started_by=user_id, trigger="command", thread=thread)


def answered_in_thread(services: Services, thread: SlackThread) -> bool:
    """Whether an ``ask`` answer was posted in ``thread`` (a mention there follows it up)."""
    return services.state.latest_run_in_thread(thread, ASK) is not None


def explanations(services: Services, run_id: str) -> list[Explanation]:
    """How the figures of an ``ask`` run were computed: each metric's definition and SQL, from
    the plans the run recorded (none for a run that is not an ``ask``)."""
    plans = stored_plans(services.state, run_id)
    if plans is None:
        return []
    return list(plan_explanations(MetricsLayer(MetricCatalog.load()), plans.plans))


def weekly_digest(
    services: Services,
    user_id: str,
    *,
    trigger: Trigger = "command",
    on_progress: SectionProgress | None = None,
) -> Digest:
    """Run the weekly GTM digest now (without the spreadsheet); ``trigger`` is "schedule" when
    the clock runs it, so the run history says who asked; ``on_progress`` hears each section
    finish (from the workflow's threads; relayed by a worker process's runner)."""
    return run_weekly_gtm(
        state=services.state,
        model=services.llm,
        team=team.team_factory(services, None),
        database_url=services.settings.effective_database_url,
        charts_dir=services.settings.var_dir / "charts",
        started_by=user_id,
        trigger=trigger,
        on_progress=on_progress,
    )


def kb_rebuild(services: Services) -> IngestReport:
    """Rebuild the support knowledge base from the help centre and every human answer kept
    (the clock's nightly job), under the state store's lock: safe beside other processes."""
    return rebuild_knowledge_base(services)


def winback_targeting(services: Services, segment: str | None, days: int | None) -> Targeting:
    """A person's segment and lapse, checked against the win-back policy (pure, instant);
    raises ``WinbackTargetError`` naming what is allowed."""
    return targeting(services.policies.winback, segment, days)


def propose_winback(
    services: Services,
    user_id: str,
    *,
    as_of: date | None = None,
    aim: Targeting | None = None,
) -> RunOutcome:
    """Start a win-back run; it pauses with a proposal, or ends when nobody qualifies."""
    desk = services.desk
    return start_winback(
        desk.workflows[WINBACK],
        state=services.state,
        database_url=desk.database_url,
        started_by=user_id,
        trigger="command",
        as_of=as_of,
        aim=aim,
    )


def remember_message(services: Services, run_id: str, channel_id: str, message_ts: str) -> None:
    """Record where a proposal was posted, so its decision updates that message."""
    services.state.record_approval_message(run_id, channel_id=channel_id, message_ts=message_ts)


def decide(
    services: Services,
    run_id: str,
    decision: Decision,
    user_id: str,
    *,
    reason: str | None = None,
    edits: dict[str, Any] | None = None,
    approvers: Collection[str] | None = None,
    on_progress: Callable[[SendReport], None] | None = None,
) -> tuple[RunOutcome, ApprovalRecord]:
    """Decide a paused run through the approval desk (the CLI's desk); return the outcome and
    the approval as decided. ``approvers``: who may decide, as the bot resolved it (listed ids
    plus the user group's members); ``on_progress`` hears an approved campaign's send counts.
    Raises the desk's ``ApprovalError`` subclasses."""
    desk = services.desk
    outcome = desk.decide(
        run_id,
        decision,
        user_id,
        reason=reason,
        edits=edits,
        approvers=approvers,
        on_progress=on_progress,
    )
    return outcome, desk.find(run_id)


def check_decision(
    services: Services,
    run_id: str,
    decision: Decision,
    user_id: str,
    *,
    reason: str | None = None,
    edits: dict[str, Any] | None = None,
    approvers: Collection[str] | None = None,
) -> ApprovalRecord:
    """What ``decide`` checks, without deciding: a modal's answer (errors beside its fields)
    is due within 3 s, the decision itself may take longer. Returns the approval as it stands."""
    approval, _ = services.desk.check_decision(
        run_id, decision, user_id, reason=reason, edits=edits, approvers=approvers
    )
    return approval


def pending_approval(
    services: Services, run_id: str, user_id: str, approvers: Collection[str] | None = None
) -> ApprovalRecord:
    """The pending approval ``user_id`` may decide, before a modal is opened for it; refuses
    (and audits) a non-approver and a proposal already decided."""
    return services.desk.pending_for(run_id, user_id, approvers=approvers)


def exact_approval(services: Services, run_id: str) -> ApprovalRecord:
    """The approval of exactly ``run_id``, a button's or a modal's value (never a prefix, as
    the CLI allows); raises ``NoSuchApprovalError`` saying what to do."""
    return services.desk.exact(run_id)


def recipient_draft(services: Services, run_id: str, customer_id: int) -> SampleEmail | None:
    """The email a paused win-back would send one of its recipients now (to rewrite it in a
    review); None when the customer is not in its audience."""
    desk = services.desk
    return winback_recipient_draft(
        desk.workflows[WINBACK], run_id, customer_id, database_url=desk.database_url
    )


def edit_history(services: Services, run_id: str) -> list[AuditEntry]:
    """The ``edited`` audit entries of a run, oldest first (what each person changed)."""
    return [e for e in services.state.audit_entries(run_id=run_id) if e.action == "edited"]


@dataclass(frozen=True, slots=True)
class CampaignOverlap:
    """A pending campaign some of whose audience another run emailed since it was proposed."""

    approval: ApprovalRecord
    edits: list[AuditEntry]
    emailed_elsewhere: int


def overlapping_campaigns(services: Services, except_run: str) -> list[CampaignOverlap]:
    """Pending win-backs posted in Slack (other than ``except_run``) whose audience another run
    has emailed since they were proposed: their proposals must say so before anyone approves."""
    found = []
    for approval in services.desk.pending():
        if approval.workflow != WINBACK or approval.run_id == except_run:
            continue
        if not approval.channel_id or not approval.message_ts:
            continue
        count = services.state.emailed_since_proposed(approval.run_id)
        if count:
            found.append(CampaignOverlap(approval, edit_history(services, approval.run_id), count))
    return found


def emailed_since_proposed(services: Services, run_id: str) -> int:
    """How many of a proposed campaign's audience another run has emailed since."""
    return services.state.emailed_since_proposed(run_id)


def approvals_to_remind(services: Services, now: datetime) -> list[ApprovalRecord]:
    """Pending approvals due a reminder at ``now`` (``remind_after_hours`` in the policy)."""
    return services.desk.due_reminders(now)


def mark_reminded(services: Services, run_id: str, now: datetime) -> bool:
    """Record a reminder before posting it; False when the run was decided meanwhile."""
    return services.desk.mark_reminded(run_id, now)


def recent_runs(services: Services) -> list[RunRecord]:
    """The latest runs, for ``/controlroom status``."""
    return services.state.recent_runs(limit=10)


def pending_approvals(services: Services) -> list[ApprovalRecord]:
    """What waits for a decision, for ``/controlroom approvals`` (read in the listener's own
    process: no workflow is built for it)."""
    return services.state.approvals(status="pending")


# App Home ----------------------------------------------------------------------------------


def control_room(services: Services) -> ControlRoom:
    """What App Home shows, read from the state store."""
    return read_control_room(services.state, services.settings.effective_database_url)


# Support answers ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupportReply:
    """A support question's run: answered at once (text, confidence, sources), or waiting for
    a person with ``proposal`` (the question, the draft, its confidence, sources and asker)."""

    run_id: str
    text: str
    confidence: float | None
    sources: tuple[str, ...]
    proposal: AnswerProposal | None = None

    @property
    def escalated(self) -> bool:
        return self.proposal is not None


def support_answer(
    services: Services,
    question: str,
    asker: str,
    *,
    thread: SlackThread | None = None,
    draft: Mapping[str, Any] | None = None,
) -> SupportReply:
    """Answer a customer's question with the Support agent, through the support escalation
    workflow (below the confidence threshold it pauses for a person); ``thread`` is remembered
    as where the run's answer goes back; ``draft`` is an answer already given, not asked again."""
    desk = services.desk
    outcome = start_support(
        desk.workflows[SUPPORT],
        question,
        asker=asker,
        state=services.state,
        database_url=desk.database_url,
        trigger="message",
        draft=draft,
    )
    if thread is not None:
        services.state.record_run_thread(outcome.run_id, thread)
    # Paused: the proposal holds the draft; answered at once: the result holds what was sent.
    said = outcome.proposal or outcome.result
    assert isinstance(said, AnswerProposal | AnsweredResult)  # a support run's only two ends
    return SupportReply(
        run_id=outcome.run_id,
        text=said.text,
        confidence=said.confidence,
        sources=tuple(said.sources),
        proposal=said if isinstance(said, AnswerProposal) else None,
    )


def _escalated_draft(answer: Answer) -> Mapping[str, Any] | None:
    """The Support agent's draft when a part of the answer was a support question it wants a
    person to check."""
    return next((p.escalation_draft for p in answer.parts if p.escalation_draft), None)


def support_escalates(answer: Answer) -> bool:
    """The supervisor asked the Support agent, which wants a person to answer."""
    return _escalated_draft(answer) is not None


def escalate_ask(services: Services, answer: Answer, asker: str) -> SupportReply | None:
    """A ``/controlroom ask`` whose support part wants a person goes the way of a mention:
    through the support escalation workflow, which pauses with the Support agent's draft (the
    question is not answered a second time). None when there is nothing to escalate."""
    draft = _escalated_draft(answer)
    if draft is None:
        return None
    question = next(
        (
            p.plan.question
            for p in answer.parts
            if p.escalation_draft and isinstance(p.plan, SupportPlan)
        ),
        answer.request,
    )
    reply = support_answer(services, question, asker, draft=draft)
    return reply if reply.escalated else None


def remember_thread(services: Services, run_id: str, thread: SlackThread) -> None:
    """Record the asker's thread, where a person's answer to the run is posted."""
    services.state.record_run_thread(run_id, thread)


def answer_thread(services: Services, run_id: str) -> SlackThread | None:
    """The asker's thread of a support run, if one was recorded."""
    return services.state.run_thread(run_id)


def record_feedback(services: Services, run_id: str, user_id: str, *, helpful: bool) -> None:
    """Audit a Helpful / Not helpful click on an answer, with who clicked."""
    services.state.record_audit("answer_feedback", actor=user_id, run_id=run_id, helpful=helpful)
