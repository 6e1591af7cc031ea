"""Win-back proposals: the message with Approve / Reject / Edit, its decided form, the modal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents import formatting as fmt
from bot import ids
from bot.blocks.kit import (
    Block,
    button,
    confirm_dialog,
    context,
    escape,
    fit,
    header,
    plain,
    section,
    truncate,
    user_mention,
    when,
)
from integrations.statestore import ApprovalRecord


def proposal_blocks(run_id: str, proposal: Mapping[str, Any]) -> list[Block]:
    """A win-back proposal with Approve / Reject / Edit buttons carrying the run id."""
    actions: Block = {
        "type": "actions",
        "block_id": "approval_actions",
        "elements": [
            button(
                "Approve",
                ids.APPROVE,
                run_id,
                style="primary",
                confirm=confirm_dialog(
                    "Send the campaign?",
                    f"Approving emails {fmt.count(proposal.get('audience'))} customers now.",
                    yes="Approve and send",
                ),
            ),
            button("Reject", ids.REJECT, run_id, style="danger"),
            button("Edit", ids.EDIT, run_id),
        ],
    }
    return fit([*_proposal_body(run_id, proposal), actions])


def decided_blocks(
    approval: ApprovalRecord, *, result: Mapping[str, Any] | None = None
) -> list[Block]:
    """The proposal after its decision: who decided, when and what came of it; no buttons."""
    verb = {"approved": "Approved", "rejected": "Rejected", "edited": "Edited and approved"}
    status = verb.get(approval.status, approval.status)
    line = f"*{status}* by {user_mention(approval.decided_by)} {when(approval.decided_at)}"
    if approval.reason:
        line += f"\nReason: {escape(approval.reason)}"
    if result:
        line += f"\n{_result(result)}"
    return fit([*_proposal_body(approval.run_id, approval.summary), *section(line)])


def decided_text(approval: ApprovalRecord) -> str:
    """The notification text of a decided proposal."""
    return f"Win-back proposal {approval.status} by {approval.decided_by}"


def already_decided_text(approval: ApprovalRecord) -> str:
    """What a late click is told: who decided first, what and when."""
    return (
        f"This proposal was already {approval.status} by {user_mention(approval.decided_by)} "
        f"{when(approval.decided_at)}."
    )


def reject_modal(run_id: str, private_metadata: str) -> Block:
    """The modal asking why a proposal is rejected; the run id rides in ``private_metadata``."""
    return {
        "type": "modal",
        "callback_id": ids.REJECT_MODAL,
        "private_metadata": private_metadata,
        "title": plain("Reject proposal"),
        "submit": plain("Reject"),
        "close": plain("Cancel"),
        "blocks": [
            *section(f"Rejecting run `{run_id[:8]}`: nothing will be sent."),
            {
                "type": "input",
                "block_id": ids.REJECT_REASON_BLOCK,
                "label": plain("Why?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REJECT_REASON_INPUT,
                    "multiline": True,
                    "max_length": 500,
                },
            },
        ],
    }


def reject_reason(view: Mapping[str, Any]) -> str:
    """The reason typed into the rejection modal, stripped (empty when none)."""
    values = view.get("state", {}).get("values", {})
    typed = values.get(ids.REJECT_REASON_BLOCK, {}).get(ids.REJECT_REASON_INPUT, {})
    return str(typed.get("value") or "").strip()


def _proposal_body(run_id: str, proposal: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = [header("Win-back proposal")]
    lines = [
        f"*Audience:* {fmt.count(proposal.get('audience'))} customers",
        f"*Offer:* {fmt.share(proposal.get('discount'))} off",
        f"*Expected profit:* {fmt.money(proposal.get('expected_profit'))}"
        f" · *ROI:* {fmt.times(proposal.get('roi'))}",
    ]
    if proposal.get("recommendation"):
        lines.append(escape(str(proposal["recommendation"])))
    if proposal.get("subject"):
        lines.append(f"*Subject:* {escape(str(proposal['subject']))}")
    blocks += section("\n".join(lines))
    for sample in proposal.get("samples") or []:
        body = truncate(str(sample.get("body", "")), 600)
        blocks += section(f"> *To:* {escape(str(sample.get('recipient', '')))}\n{escape(body)}")
    blocks.append(context(f"Run `{run_id}`"))
    return blocks


def _result(result: Mapping[str, Any]) -> str:
    status = result.get("status")
    if status == "sent":
        sent = fmt.count(result.get("sent"))
        extra = ", ".join(
            f"{fmt.count(result[k])} {k.replace('_', ' ')}"
            for k in ("suppressed", "failed", "in_doubt")
            if result.get(k)
        )
        return f":white_check_mark: {sent} emails sent" + (f" ({extra})" if extra else "")
    if status == "rejected":
        return "Nothing was sent."
    return f"Result: {escape(str(status))}"
