"""Approvals in Slack: a proposal (a win-back campaign, an escalated support answer) with
Approve / Reject (each behind a confirm dialog) / Edit, its decided form, who may decide, and
the reminder. The edits that led to a proposal are ``edit_history``; the modals are
``reject_modal``, ``edit_modal`` and, for a campaign's Review recipients, ``review_modal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from agents import formatting as fmt
from agents.support.guard import REASON_WORDS
from bot import ids
from bot.blocks.edit_history import EditNote, edit_lines
from bot.blocks.kit import (
    Block,
    button,
    confirm_dialog,
    context,
    escape,
    escape_keeping_quotes,
    fit,
    header,
    link,
    section,
    truncate,
    user_mention,
    when,
)
from integrations.statestore import ApprovalRecord
from integrations.team_time import team_time
from workflows.proposals import (
    AnsweredResult,
    AnswerProposal,
    Proposal,
    RejectedResult,
    Result,
    SendResult,
    TicketResult,
    WinbackProposal,
    proposal_of,
)
from workflows.sending import SendReport

# The proposal -----------------------------------------------------------------------------


def proposal_blocks(
    run_id: str,
    proposal: Proposal,
    *,
    edits: Sequence[EditNote] = (),
    emailed_elsewhere: int = 0,
) -> list[Block]:
    """A proposal with Approve / Reject / Edit (and, for a campaign, Review recipients)
    buttons carrying the run id; ``edits`` are the
    edits that led to it (shown as "Edited by X: discount 15% → 20%"); ``emailed_elsewhere``
    of a campaign's audience were emailed by another campaign since it was proposed."""
    if isinstance(proposal, AnswerProposal):
        approve_confirm = confirm_dialog(
            "Send this answer?", "The asker gets this answer where they asked.", yes="Send it"
        )
        reject_confirm = confirm_dialog(
            "Reject the answer?",
            "You will be asked why; the question becomes a ticket.",
            yes="Reject…",
        )
    else:
        approve_confirm = confirm_dialog(
            "Send the campaign?",
            f"Approving emails {fmt.count(proposal.audience)} customers now.",
            yes="Approve and send",
        )
        reject_confirm = confirm_dialog(
            "Reject the campaign?", "You will be asked why; nothing will be sent.", yes="Reject…"
        )
    actions: Block = {
        "type": "actions",
        "block_id": "approval_actions",
        "elements": [
            button("Approve", ids.APPROVE, run_id, style="primary", confirm=approve_confirm),
            button("Reject", ids.REJECT, run_id, style="danger", confirm=reject_confirm),
            button("Edit", ids.EDIT, run_id),
        ],
    }
    if isinstance(proposal, WinbackProposal) and proposal.recipients:
        actions["elements"].append(button("Review recipients", ids.REVIEW, run_id))
    overlap = (
        _overlap_line(proposal, emailed_elsewhere)
        if emailed_elsewhere and isinstance(proposal, WinbackProposal)
        else []
    )
    return fit([*_body(run_id, proposal), *edit_lines(edits), *overlap, actions])


def _overlap_line(proposal: WinbackProposal, emailed_elsewhere: int) -> list[Block]:
    audience = fmt.count(proposal.audience)
    return section(
        f":warning: {fmt.count(emailed_elsewhere)} of these {audience} customers were emailed"
        " by another campaign since this was proposed: they will be skipped (frequency cap)."
    )


def proposal_text(run_id: str, proposal: Proposal) -> str:
    """The notification text of a proposal waiting for a decision."""
    return f"{_noun(proposal).capitalize()} for approval (run {run_id[:8]})"


def decided_blocks(
    approval: ApprovalRecord,
    *,
    result: Result | None = None,
    edits: Sequence[EditNote] = (),
) -> list[Block]:
    """The proposal after its decision: who decided, when and what came of it; no buttons."""
    verb = {"approved": "Approved", "rejected": "Rejected", "edited": "Edited and approved"}
    status = verb.get(approval.status, approval.status)
    line = f"*{status}* by {user_mention(approval.decided_by)} {when(approval.decided_at)}"
    if approval.reason:
        line += f"\nReason: {escape(approval.reason)}"
    if result is not None:
        line += f"\n{_result(result)}"
    proposal = proposal_of(approval)
    edited_text = (approval.edits or {}).get("text")
    if isinstance(proposal, AnswerProposal) and edited_text:
        # The asker got the person's text, not the draft: show what was sent.
        proposal = proposal.model_copy(update={"text": str(edited_text)})
    return fit([*_body(approval.run_id, proposal), *edit_lines(edits), *section(line)])


def sending_blocks(shown: Sequence[Block], approver: str, report: SendReport | None) -> list[Block]:
    """An approved campaign while its emails go: the proposal as it was shown, without its
    buttons, and "Sending… n of N" (``report`` None: the claim, before the first batch)."""
    kept = [block for block in shown if block.get("type") != "actions"]
    line = f"*Approved* by {user_mention(approver)} · :outbox_tray: Sending…"
    if report is not None:
        done = report.total - report.queued
        line += f" {fmt.count(done)} of {fmt.count(report.total)}"
        skipped = report.suppressed + report.capped
        if skipped or report.failed:
            line += f" ({fmt.count(skipped)} skipped, {fmt.count(report.failed)} failed)"
    return fit([*kept, *section(line)])


def sending_text(approver: str) -> str:
    """The notification text while a campaign's emails go."""
    return f"Win-back approved by {approver}: sending…"


def decided_text(approval: ApprovalRecord) -> str:
    """The notification text of a decided proposal."""
    return f"{_noun(proposal_of(approval)).capitalize()} {approval.status} by {approval.decided_by}"


def already_decided_text(approval: ApprovalRecord) -> str:
    """What a late click is told: who decided first, what and when."""
    return (
        f"This {_noun(proposal_of(approval))} was already {approval.status} by "
        f"{user_mention(approval.decided_by)} {when(approval.decided_at)}."
    )


def already_decided_plain(approval: ApprovalRecord, timezone: str) -> str:
    """The same, as plain text for an error beside a modal's field (mentions and date tokens do
    not render): the time in ``timezone``, the team's."""
    moment = f" at {team_time(approval.decided_at, timezone)}" if approval.decided_at else ""
    return (
        f"Already {approval.status} by {approval.decided_by or 'someone'}{moment}: "
        "this form is out of date."
    )


# Who may decide ---------------------------------------------------------------------------


def approvers_text(user_ids: Sequence[str], usergroup: str | None) -> str:
    """The approvers as Slack mentions: each listed user and the user group."""
    names = [user_mention(user) for user in user_ids]
    if usergroup:
        names.append(f"<!subteam^{usergroup}>")
    return ", ".join(names) or "nobody (policies/approvals.yaml names no approver)"


def refusal_text(user_ids: Sequence[str], usergroup: str | None) -> str:
    """What someone who may not decide is told, naming who can."""
    return (
        "Only approvers may decide proposals (policies/approvals.yaml); "
        f"ask one of them: {approvers_text(user_ids, usergroup)}"
    )


def refusal_plain(user_ids: Sequence[str], usergroup: str | None) -> str:
    """The refusal as plain text, for an error in a modal."""
    who = [*user_ids, *([f"members of user group {usergroup}"] if usergroup else [])]
    return "Only approvers may decide proposals: " + ", ".join(who)


# Reminders --------------------------------------------------------------------------------


def reminder_text(approval: ApprovalRecord, approvers: str, now: datetime) -> str:
    """The reminder posted in a pending approval's thread, mentioning who can decide."""
    hours = max(0, int((now - approval.requested_at).total_seconds() // 3600))
    waited = f"{hours} hour{'s' if hours != 1 else ''}"
    return (
        f":hourglass: Reminder: this {_noun(proposal_of(approval))} has waited {waited} for a "
        f"decision. {approvers}: approve, reject or edit it above."
    )


# Bodies -----------------------------------------------------------------------------------


def _body(run_id: str, proposal: Proposal) -> list[Block]:
    if isinstance(proposal, AnswerProposal):
        return _answer_body(run_id, proposal)
    return _campaign_body(run_id, proposal)


def _aim(proposal: WinbackProposal) -> str:
    """Who the person asked for, when narrower than the policy: " (At Risk, 90+ days)"."""
    parts = [escape(s) for s in proposal.segments]
    if proposal.min_days:
        parts.append(f"{fmt.count(proposal.min_days)}+ days since the last order")
    return f" ({', '.join(parts)})" if parts else ""


def _campaign_body(run_id: str, proposal: WinbackProposal) -> list[Block]:
    blocks: list[Block] = [header("Win-back proposal")]
    excluded = proposal.excluded_in_review
    lines = [
        f"*Audience:* {fmt.count(proposal.audience)} customers{_aim(proposal)}"
        + (f" · {fmt.count(excluded)} excluded in review" if excluded else ""),
        f"*Offer:* {fmt.share(proposal.discount)} off",
        f"*Expected profit:* {fmt.money(proposal.expected_profit)}"
        f" · *ROI:* {fmt.share(proposal.roi)}",  # a percent, as everywhere
    ]
    if proposal.recommendation:
        lines.append(escape(proposal.recommendation))
    if proposal.subject:
        lines.append(f"*Subject:* {escape(proposal.subject)}")
    blocks += section("\n".join(lines))
    for sample in proposal.samples:
        body = truncate(sample.body, 600)
        blocks += section(f"> *To:* {escape(sample.recipient)}\n{escape(body)}")
    blocks.append(context(f"Run `{run_id[:8]}`"))
    return blocks


def _answer_body(run_id: str, proposal: AnswerProposal) -> list[Block]:
    question = truncate(proposal.question, 1000)
    blocks: list[Block] = [header("Support question for a person")]
    blocks += section(f"*Question* from {user_mention(proposal.asker)}:\n>{escape(question)}")
    blocks += section(f"*Answer:*\n{escape_keeping_quotes(proposal.text)}")
    facts = [f"Confidence {fmt.share(proposal.confidence)}"]
    sources = [link(url) for url in proposal.sources]
    if sources:
        facts.append("Sources: " + ", ".join(sources))
    # The guard's codes in words; "confidence 0.41 below 0.65" is shown as it is.
    reasons = [escape(REASON_WORDS.get(r, r)) for r in proposal.reasons]
    if reasons:
        facts.append("Escalated: " + "; ".join(reasons))
    blocks.append(context(" · ".join(facts), f"Run `{run_id[:8]}`"))
    return blocks


def _result(result: Result) -> str:
    if isinstance(result, SendResult):
        extra = ", ".join(f"{fmt.count(n)} {label}" for n, label in _not_sent(result) if n)
        mark = ":warning:" if result.failed or result.in_doubt else ":white_check_mark:"
        return f"{mark} {fmt.count(result.sent)} emails sent" + (f" ({extra})" if extra else "")
    if isinstance(result, RejectedResult):
        return "Nothing was sent."
    if isinstance(result, AnsweredResult):
        return ":white_check_mark: The answer was sent to the asker."
    if isinstance(result, TicketResult):
        where, url = escape(result.where), result.url
        return f":ticket: A ticket was opened in {where}" + (f": {link(url)}" if url else ".")
    return f"Result: {escape(result.kind)}"


def _not_sent(result: SendResult) -> tuple[tuple[int, str], ...]:
    """The final counts of the emails that did not go, each with what it means."""
    return (
        (result.suppressed, "skipped: unsubscribed"),
        (result.capped, "skipped: emailed by another campaign within the frequency cap"),
        (result.failed, "failed"),
        (result.in_doubt, "in doubt (see `controlroom outbox list`)"),
    )


def _noun(proposal: Proposal) -> str:
    return "escalated answer" if isinstance(proposal, AnswerProposal) else "win-back proposal"
