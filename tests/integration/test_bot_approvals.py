"""Win-back proposals in Slack: posted with buttons, decided by approvers only, exactly once,
through the real Bolt app over signed HTTP against a fake Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import ids
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.warehouse import Warehouse
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, RunningBot, running_bot
from tests.integration.test_bot_commands import texts

APPROVER = "U0APPROVER"  # policies/approvals.yaml
SOMEONE_ELSE = "U0MARKETER"


@pytest.fixture
def settings(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    return Settings()


@pytest.fixture
def bot(services: Services, sample_warehouse: Warehouse) -> Iterator[RunningBot]:
    with running_bot(services) as running:
        yield running


@dataclass(frozen=True)
class Proposal:
    run_id: str
    channel: str
    ts: str


@pytest.fixture
def proposal(bot: RunningBot) -> Proposal:
    """``/controlroom winback``: the proposal posted in the approvals channel."""
    assert bot.slack.command("winback").status_code == 200
    [posted] = bot.api.wait_for("chat.postMessage")
    actions = next(b for b in posted.args["blocks"] if b["type"] == "actions")
    run_id = actions["elements"][0]["value"]
    bot.api.wait_for("response_url")
    return Proposal(run_id, "C0APPROVALS", "1764000000.000001")


def test_winback_posts_a_proposal_with_approve_reject_edit_buttons(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    [posted] = bot.api.calls_to("chat.postMessage")
    assert posted.args["channel"] == "#gtm-approvals"
    actions = next(b for b in posted.args["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [ids.APPROVE, ids.REJECT, ids.EDIT]
    assert {e["value"] for e in actions["elements"]} == {proposal.run_id}
    assert "Audience" in texts(posted.args["blocks"])
    [told] = bot.api.calls_to("response_url")
    assert "posted in #gtm-approvals" in told.args["text"]
    approval = services.state.get_approval(proposal.run_id)
    assert (approval.channel_id, approval.message_ts) == (proposal.channel, proposal.ts)


def test_approve_by_an_approver_sends_and_updates_the_message(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    reply = bot.slack.click(
        ids.APPROVE,
        proposal.run_id,
        user_id=APPROVER,
        message_ts=proposal.ts,
        channel=proposal.channel,
    )
    assert reply.status_code == 200
    [update] = bot.api.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (proposal.channel, proposal.ts)
    assert all(b["type"] != "actions" for b in update.args["blocks"])
    shown = texts(update.args["blocks"])
    assert f"*Approved* by <@{APPROVER}> at" in shown
    assert "emails sent" in shown
    assert services.state.get_run(proposal.run_id).status == "succeeded"
    assert services.state.outbox_emails(run_id=proposal.run_id)


def test_approve_by_a_non_approver_is_refused_in_private_and_audited(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    bot.slack.click(
        ids.APPROVE,
        proposal.run_id,
        user_id=SOMEONE_ELSE,
        message_ts=proposal.ts,
        channel=proposal.channel,
    )
    [_, refusal] = bot.api.wait_for("response_url", count=2)
    assert refusal.args["response_type"] == "ephemeral"
    assert refusal.args["replace_original"] is False
    assert "Only approvers may decide" in refusal.args["text"]
    assert bot.api.calls_to("chat.update") == []
    assert services.state.get_approval(proposal.run_id).status == "pending"
    refused = [e for e in services.state.audit_entries(run_id=proposal.run_id)]
    assert any(e.action == "approval_refused" and e.actor == SOMEONE_ELSE for e in refused)


def test_second_approval_click_is_refused_with_who_decided(
    bot: RunningBot, proposal: Proposal
) -> None:
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.APPROVE, proposal.run_id, user_id=APPROVER, **where)
    bot.api.wait_for("chat.update")
    bot.slack.click(ids.APPROVE, proposal.run_id, user_id=APPROVER, **where)
    [_, late] = bot.api.wait_for("response_url", count=2)
    assert late.args["response_type"] == "ephemeral"
    assert f"already approved by <@{APPROVER}> at" in late.args["text"]
    assert len(bot.api.calls_to("chat.update")) == 1


def test_reject_asks_why_in_a_modal_then_rejects_and_updates_the_message(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.REJECT, proposal.run_id, user_id=APPROVER, **where)
    [opened] = bot.api.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == ids.REJECT_MODAL
    typed = {
        ids.REJECT_REASON_BLOCK: {
            ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": "Too generous"}
        }
    }
    reply = bot.slack.submit_view(view, typed, user_id=APPROVER)
    assert reply.status_code == 200
    [update] = bot.api.wait_for("chat.update")
    shown = texts(update.args["blocks"])
    assert "*Rejected* by" in shown and "Too generous" in shown
    assert services.state.get_approval(proposal.run_id).status == "rejected"
