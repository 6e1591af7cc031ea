"""Approve / Reject / Edit buttons on a proposal, decided through the same ``ApprovalDesk`` as the
CLI, as the person who clicked.

Only approvers (``policies/approvals.yaml``) may decide; the desk audits every refusal. The
winner's decision updates the proposal in place (who, when, result; no more buttons); a later
click is told who decided first. A rejection needs a reason, so Reject opens a small modal.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids, work
from bot.blocks import approvals as approval_blocks
from bot.blocks import kit, messages
from controlroom.services import Services
from integrations.statestore import ApprovalRecord, Decision
from workflows.approvals import (
    AlreadyDecidedError,
    InvalidDecisionError,
    NoSuchApprovalError,
    NotAnApproverError,
)

logger = logging.getLogger(__name__)

EDIT_FROM_CLI = "Editing in Slack is not available yet: use `controlroom approvals edit {run_id}`."

Reply = Callable[[str], Awaitable[None]]


def register(app: AsyncApp, services: Services) -> None:
    """Answer the proposal buttons and the rejection modal on ``app``."""

    async def approve(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        run_id, user = _run_id(body), body["user"]["id"]
        where = _message(body)
        await _decide(services, client, _ephemeral(respond), run_id, "approved", user, where)

    async def reject(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        run_id, user = _run_id(body), body["user"]["id"]
        reply = _ephemeral(respond)
        try:
            await asyncio.to_thread(work.authorise, services, run_id, user)
        except NotAnApproverError:
            await reply(_refusal(services))
            return
        metadata = json.dumps({"run_id": run_id, "where": _message(body)})
        await client.views_open(
            trigger_id=body["trigger_id"], view=approval_blocks.reject_modal(run_id, metadata)
        )

    async def rejection_reason(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        reason = approval_blocks.reject_reason(view)
        if not reason:
            await ack(response_action="errors", errors={ids.REJECT_REASON_BLOCK: "Say why."})
            return
        await ack()
        metadata = json.loads(view["private_metadata"])
        user = body["user"]["id"]
        reply = _direct_message(client, user)
        where = metadata.get("where")
        await _decide(
            services, client, reply, metadata["run_id"], "rejected", user, where, reason=reason
        )

    async def edit(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await _ephemeral(respond)(EDIT_FROM_CLI.format(run_id=_run_id(body)[:8]))

    app.action(ids.APPROVE)(approve)
    app.action(ids.REJECT)(reject)
    app.action(ids.EDIT)(edit)
    app.view(ids.REJECT_MODAL)(rejection_reason)


async def _decide(
    services: Services,
    client: AsyncWebClient,
    reply: Reply,
    run_id: str,
    decision: Decision,
    user: str,
    where: dict[str, str] | None,
    *,
    reason: str | None = None,
) -> None:
    """Decide through the desk; update the proposal, or tell the person why not."""
    try:
        outcome, approval = await asyncio.to_thread(
            work.decide, services, run_id, decision, user, reason=reason
        )
    except NotAnApproverError:
        await reply(_refusal(services))
        return
    except AlreadyDecidedError as refused:
        await reply(approval_blocks.already_decided_text(refused.approval))
        return
    except (NoSuchApprovalError, InvalidDecisionError) as problem:
        # The desk's messages are written for people: what was wrong and what to do.
        await reply(kit.escape(str(problem)))
        return
    await _update_proposal(client, approval, outcome.result, where)


async def _update_proposal(
    client: AsyncWebClient,
    approval: ApprovalRecord,
    result: dict[str, Any],
    where: dict[str, str] | None,
) -> None:
    channel = (where or {}).get("channel") or approval.channel_id
    ts = (where or {}).get("ts") or approval.message_ts
    if not channel or not ts:
        logger.warning("run %s decided but its message is unknown", approval.run_id)
        return
    await client.chat_update(
        channel=channel,
        ts=ts,
        text=approval_blocks.decided_text(approval),
        blocks=approval_blocks.decided_blocks(approval, result=result),
    )


def _run_id(body: dict[str, Any]) -> str:
    return str(body["actions"][0]["value"])


def _message(body: dict[str, Any]) -> dict[str, str] | None:
    """Where the clicked proposal is (channel and ts), to update it in place."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return {"channel": channel, "ts": ts} if channel and ts else None


def _refusal(services: Services) -> str:
    return (
        "Only approvers may decide proposals (policies/approvals.yaml); "
        "ask one of them: "
        + ", ".join(f"<@{u}>" for u in services.policies.approvals.approver_user_ids)
    )


def _ephemeral(respond: AsyncRespond) -> Reply:
    async def reply(text: str) -> None:
        await respond(
            text=text,
            blocks=messages.notice_blocks(text),
            response_type="ephemeral",
            replace_original=False,
        )

    return reply


def _direct_message(client: AsyncWebClient, user: str) -> Reply:
    """A modal has no response_url: tell the person in a direct message from the app."""

    async def reply(text: str) -> None:
        await client.chat_postMessage(channel=user, text=text, blocks=messages.notice_blocks(text))

    return reply
