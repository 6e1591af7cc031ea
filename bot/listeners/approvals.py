"""Approve / Reject / Edit buttons on a proposal (a win-back campaign, an escalated support
answer), decided through the same ``ApprovalDesk`` as the CLI, as the person who clicked.

Only approvers may decide: the user ids in ``policies/approvals.yaml`` and the members of its
user group (``bot.approvers``); others are refused in private and the desk audits it. Approve
and Reject sit behind confirm dialogs; Reject then asks why in a modal; Edit opens a modal with
the editable fields of the approval's kind, checked on submit by the workflow's own
``check_edits`` (errors beside the fields). The winner's decision updates the proposal in place
(who, when, result; no more buttons) — or, for an edited win-back, with the re-priced proposal
and fresh buttons; a later click, or a modal gone stale, is told who decided first. A campaign's
Review recipients button is ``bot.listeners.review``'s, deciding through ``decide`` here.

A modal's submission must be answered within Slack's 3 s, and a decision may take longer (an
edit re-prices and re-drafts): the submission is checked first (``work.check_decision``), the
modal closed, then the decision taken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import handoff, ids, work
from bot.approvers import ApproverDirectory
from bot.blocks import approvals as approval_blocks
from bot.blocks import edit_history, edit_modal, kit, reject_modal
from bot.blocks.edit_modal import ModalMetadata, ProposalMessage
from bot.envelopes import BlockActions, ViewSubmission
from bot.listeners import support
from bot.listeners.replies import Reply, tell_clicker
from bot.live_message import LiveMessage
from bot.overlaps import refresh_overlapping_campaigns
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import ApprovalRecord, Decision
from workflows.approvals import (
    AlreadyDecidedError,
    ApprovalError,
    InvalidDecisionError,
    NoSuchApprovalError,
    NotAnApproverError,
)
from workflows.proposals import proposal_of
from workflows.sending import SendReport
from workflows.steps import RunOutcome

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """One person's decision on a run, and where its proposal message is (to update it)."""

    run_id: str
    decision: Decision
    user: str
    where: ProposalMessage | None
    reason: str | None = None
    edits: dict[str, Any] | None = None
    # The proposal's blocks as the clicker saw them (a button click carries them): kept, less
    # the buttons, while an approved campaign's emails go.
    shown: list[dict[str, Any]] | None = None


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer the proposal buttons and the reject and edit modals on ``app``, deciding through
    the desk with ``runner``."""
    directory = ApproverDirectory(services.policies.approvals)

    async def approve(body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        click = BlockActions.model_validate(body)
        reply = tell_clicker(body, respond, client)
        run_id = await exact_run_id(runner, reply, click.clicked.value)
        if run_id is None:
            return
        shown = (body.get("message") or {}).get("blocks")
        request = DecisionRequest(
            run_id, "approved", click.user.id, proposal_message(body), shown=shown
        )
        approvers = await directory.approvers(client)
        await decide(services, runner, client, reply, request, approvers)

    async def clicked(
        click: BlockActions, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> ApprovalRecord | None:
        """The pending approval a Reject or Edit click opens a modal for; None when the
        clicker was told why not."""
        reply = tell_clicker(body, respond, client)
        run_id, user = click.clicked.value, click.user.id
        return await approval_to_open(services, runner, directory, client, reply, run_id, user)

    async def reject(body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        click = BlockActions.model_validate(body)
        approval = await clicked(click, body, respond, client)
        if approval is None:
            return
        metadata = ModalMetadata(run_id=approval.run_id, where=proposal_message(body)).dumped()
        await client.views_open(
            trigger_id=click.trigger_id,
            view=reject_modal.reject_modal(approval.run_id, metadata),
        )

    def rejection(body: dict[str, Any], view: dict[str, Any]) -> DecisionRequest:
        submitted = ViewSubmission.model_validate(body)
        target = ModalMetadata.read(submitted.view.private_metadata)
        run_id, where = (target.run_id, target.where) if target else ("", None)
        reason = reject_modal.reject_reason(view)
        return DecisionRequest(run_id, "rejected", submitted.user.id, where, reason)

    async def rejection_reason(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        if not reject_modal.reject_reason(view):
            await ack(response_action="errors", errors={ids.REJECT_REASON_BLOCK: "Say why."})
            return
        request = rejection(body, view)
        unknown = await exact_problem(runner, request.run_id)
        if unknown is not None:
            await ack(response_action="errors", errors={ids.REJECT_REASON_BLOCK: unknown})
            return
        approvers = await directory.approvers(client)
        problem = await check_request(runner, request, approvers)
        if problem is not None:
            message = plain_problem(services, problem)
            await ack(response_action="errors", errors={ids.REJECT_REASON_BLOCK: message})
            return
        await handoff.accept(ack, context)

    async def rejected(body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        request = rejection(body, view)
        approvers = await directory.approvers(client)
        await decide(services, runner, client, tell_clicker(body, None, client), request, approvers)

    async def edit(body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        click = BlockActions.model_validate(body)
        approval = await clicked(click, body, respond, client)
        if approval is None:
            return
        modal = edit_modal.edit_modal(
            approval, policy=services.policies.winback, where=proposal_message(body)
        )
        await client.views_open(trigger_id=click.trigger_id, view=modal)

    def edit_request(body: dict[str, Any], view: dict[str, Any]) -> DecisionRequest:
        submitted = edit_modal.edit_request(view)
        editor = ViewSubmission.model_validate(body).user.id
        return DecisionRequest(
            submitted.run_id, "edited", editor, submitted.where, edits=submitted.edits
        )

    async def edit_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        try:
            request = edit_request(body, view)
        except (ValueError, KeyError, TypeError, AttributeError):  # metadata not as we wrote it
            unknown = await exact_problem(runner, "")
        else:
            unknown = await exact_problem(runner, request.run_id)
        if unknown is not None:
            await ack(response_action="errors", errors=edit_modal.edit_errors(view, {}, unknown))
            return
        approvers = await directory.approvers(client)
        problem = await check_request(runner, request, approvers)
        if problem is not None:
            fields = problem.fields if isinstance(problem, InvalidDecisionError) else {}
            errors = edit_modal.edit_errors(view, fields, plain_problem(services, problem))
            await ack(response_action="errors", errors=errors)
            return
        await handoff.accept(ack, context)

    async def edited(body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        request = edit_request(body, view)
        approvers = await directory.approvers(client)
        await decide(services, runner, client, tell_clicker(body, None, client), request, approvers)

    # Approving sends the campaign: the batch queue.
    handoff.listen(app.action(ids.APPROVE), approve, ack=handoff.accepted_batch)
    handoff.listen(app.action(ids.REJECT), reject)
    handoff.listen(app.action(ids.EDIT), edit)
    handoff.listen(app.view(ids.REJECT_MODAL), rejected, ack=rejection_reason)
    handoff.listen(app.view(ids.EDIT_MODAL), edited, ack=edit_submitted)


async def decide(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    reply: Reply,
    request: DecisionRequest,
    approvers: frozenset[str],
) -> bool:
    """Decide through the desk; update the proposal, or tell the person why not (False). Then
    what the decision sets going in Slack (a support answer back in the asker's thread)."""
    sending = _sending_message(client, request)
    try:
        outcome, approval = await runner.call(
            work.decide,
            request.run_id,
            request.decision,
            request.user,
            reason=request.reason,
            edits=request.edits,
            approvers=approvers,
            on_progress=sending.show if sending else None,
        )
    except NotAnApproverError:
        await reply(_refusal(services))
        return False
    except AlreadyDecidedError as refused:
        await reply(approval_blocks.already_decided_text(refused.approval))
        return False
    except (NoSuchApprovalError, InvalidDecisionError) as problem:
        # The desk's messages are written for people: what was wrong and what to do.
        await reply(kit.escape(str(problem)))
        return False
    finally:
        if sending is not None:
            await sending.close()
    await _update_proposal(runner, client, approval, outcome, request.where)
    if request.decision == "approved":
        # Another pending campaign may share some of this one's audience: say so on it.
        await refresh_overlapping_campaigns(client, runner, except_run=approval.run_id)
    await support.after_decision(services, runner, client, approval, outcome)
    return True


def _sending_message(
    client: AsyncWebClient, request: DecisionRequest
) -> LiveMessage[SendReport] | None:
    """Where an approved campaign's send shows: the clicked proposal, less its buttons, with
    "Sending… n of N" from the send's first report (right after the claim, before any email)
    until the final counts replace it."""
    where = request.where
    if request.decision != "approved" or not request.shown or where is None:
        return None
    shown, approver = request.shown, request.user
    return LiveMessage(
        client,
        where.channel,
        where.ts,
        lambda report: (
            approval_blocks.sending_text(approver),
            approval_blocks.sending_blocks(shown, approver, report),
        ),
        what="sending progress",
    )


async def _update_proposal(
    runner: WorkflowRunner,
    client: AsyncWebClient,
    approval: ApprovalRecord,
    outcome: RunOutcome,
    where: ProposalMessage | None,
) -> None:
    """The proposal's message in place: decided (no buttons), or asked again after an edit."""
    channel = where.channel if where else approval.channel_id
    ts = where.ts if where else approval.message_ts
    if not channel or not ts:
        logger.warning("run %s decided but its message is unknown", approval.run_id)
        return
    history = await runner.call(work.edit_history, approval.run_id)
    if outcome.status == "paused" and outcome.proposal is not None:
        # An edit re-priced the proposal: a new round, with fresh buttons.
        edits = edit_history.edit_notes(history, outcome.proposal)
        text = approval_blocks.proposal_text(approval.run_id, outcome.proposal)
        overlap = await runner.call(work.emailed_since_proposed, approval.run_id)
        blocks = approval_blocks.proposal_blocks(
            approval.run_id, outcome.proposal, edits=edits, emailed_elsewhere=overlap
        )
    else:
        edits = edit_history.edit_notes(history, proposal_of(approval))
        text = approval_blocks.decided_text(approval)
        blocks = approval_blocks.decided_blocks(approval, result=outcome.result, edits=edits)
    await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


async def approval_to_open(
    services: Services,
    runner: WorkflowRunner,
    directory: ApproverDirectory,
    client: AsyncWebClient,
    reply: Reply,
    value: str,
    user: str,
) -> ApprovalRecord | None:
    """The pending approval of exactly run ``value`` (a button's, a modal's metadata) that
    ``user`` may decide, before a modal opens or changes for it; None when the person was told
    why not."""
    run_id = await exact_run_id(runner, reply, value)
    if run_id is None:
        return None
    approvers = await directory.approvers(client)
    return await pending_approval(services, runner, reply, run_id, user, approvers)


async def pending_approval(
    services: Services,
    runner: WorkflowRunner,
    reply: Reply,
    run_id: str,
    user: str,
    approvers: frozenset[str],
) -> ApprovalRecord | None:
    """The pending approval before a modal opens for it; None (and the person told why) for a
    non-approver, a proposal already decided or an unknown run."""
    try:
        return await runner.call(work.pending_approval, run_id, user, approvers)
    except NotAnApproverError:
        await reply(_refusal(services))
    except AlreadyDecidedError as refused:
        await reply(approval_blocks.already_decided_text(refused.approval))
    except NoSuchApprovalError as problem:
        await reply(kit.escape(str(problem)))
    return None


async def check_request(
    runner: WorkflowRunner, request: DecisionRequest, approvers: frozenset[str]
) -> ApprovalError | None:
    """What is wrong with a submitted decision (the desk audits a refusal); None when it may
    be taken."""
    try:
        await runner.call(
            work.check_decision,
            request.run_id,
            request.decision,
            request.user,
            reason=request.reason,
            edits=request.edits,
            approvers=approvers,
        )
    except ApprovalError as problem:
        return problem
    return None


def plain_problem(services: Services, problem: ApprovalError) -> str:
    """A problem as plain text, for an error beside a modal's field."""
    policy = services.policies.approvals
    if isinstance(problem, NotAnApproverError):
        return approval_blocks.refusal_plain(policy.approver_user_ids, policy.approver_usergroup)
    if isinstance(problem, AlreadyDecidedError):
        timezone = services.policies.schedule.timezone
        return approval_blocks.already_decided_plain(problem.approval, timezone)
    # The desk's messages are written for people: what was wrong and what to do.
    return str(problem)


async def exact_problem(runner: WorkflowRunner, run_id: str) -> str | None:
    """Why ``run_id`` (a button's value, a modal's metadata) names no approval; None when it
    names one exactly. Never a prefix: an empty value would match the only pending run."""
    try:
        await runner.call(work.exact_approval, run_id)
    except NoSuchApprovalError as problem:
        # The desk's messages are written for people: what was wrong and what to do.
        return str(problem)
    return None


async def exact_run_id(runner: WorkflowRunner, reply: Reply, value: str) -> str | None:
    """The run a click names exactly; None when the person was told there is none."""
    problem = await exact_problem(runner, value)
    if problem is not None:
        await reply(kit.escape(problem))
        return None
    return value


def proposal_message(body: dict[str, Any]) -> ProposalMessage | None:
    """Where the clicked proposal is (channel and ts), to update it in place."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return ProposalMessage(channel=channel, ts=ts) if channel and ts else None


def _refusal(services: Services) -> str:
    policy = services.policies.approvals
    return approval_blocks.refusal_text(policy.approver_user_ids, policy.approver_usergroup)
