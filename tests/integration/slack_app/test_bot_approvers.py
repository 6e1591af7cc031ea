"""Approvers named by a Slack user group: its members, read from Slack's usergroups.users.list
(the sandbox's Web API), may decide; others are refused; a Slack failure leaves only the listed
ids."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import policies
from bot import ids
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.warehouse import Warehouse
from sandbox import Person, Workspace
from tests.integration.slack_app.conftest import Proposal
from tests.integration.slack_app.test_bot_approvals import APPROVER, SOMEONE_ELSE, open_edit_modal
from tests.slack_sandbox import RunningBot, running_bot, slack_environment, texts

GROUP = "S0APPROVERS"
MEMBER = "U0GROUPIE"


@pytest.fixture
def settings(
    isolated_environment: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The shipped policies, with the approvers' user group set in approvals.yaml."""
    folder = isolated_environment.parent / "policies"
    shutil.copytree(Path(policies.__file__).parent, folder, ignore=shutil.ignore_patterns("*.py"))
    approvals = folder / "approvals.yaml"
    text = approvals.read_text()
    assert "approver_usergroup: null" in text
    approvals.write_text(text.replace("approver_usergroup: null", f"approver_usergroup: {GROUP}"))
    monkeypatch.setenv("CONTROLROOM_POLICIES_DIR", str(folder))
    for name, value in slack_environment(workspace).items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def bot(
    services: Services, workspace: Workspace, sample_warehouse: Warehouse
) -> Iterator[RunningBot]:
    assert services.policies.approvals.approver_usergroup == GROUP
    for user_id, name in ((MEMBER, "gus"), ("U0OTHERMEMBER", "otto")):
        workspace.add_person(Person(user_id, name, name.title(), "in the approvers' group"))
    workspace.add_usergroup(GROUP, "approvers", [MEMBER, "U0OTHERMEMBER"])
    with running_bot(services, workspace) as running:
        yield running


def click(bot: RunningBot, proposal: Proposal, action_id: str, user_id: str) -> None:
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(action_id, proposal.run_id, user_id=user_id, **where)


def test_a_member_of_the_approver_user_group_may_decide(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_edit_modal(bot, proposal, user_id=MEMBER)
    assert view["callback_id"] == ids.EDIT_MODAL
    click(bot, proposal, ids.REJECT, MEMBER)
    [_, reject_modal] = bot.api.wait_for("views.open", count=2)
    typed = {
        ids.REJECT_REASON_BLOCK: {
            ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": "Not this week"}
        }
    }
    bot.slack.submit_view(reject_modal.args["view"], typed, user_id=MEMBER)
    [update] = bot.api.wait_for("chat.update")
    assert f"*Rejected* by <@{MEMBER}>" in texts(update.args["blocks"])
    approval = services.state.get_approval(proposal.run_id)
    assert (approval.status, approval.decided_by) == ("rejected", MEMBER)
    # Three requests needed the approvers; Slack was asked once (kept for a few minutes).
    [asked] = bot.api.calls_to("usergroups.users.list")
    assert asked.args["usergroup"] == GROUP


def test_someone_outside_the_group_is_refused_and_told_the_group_can_decide(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    click(bot, proposal, ids.APPROVE, SOMEONE_ELSE)
    [_, refusal] = bot.api.wait_for("response_url", count=2)
    assert refusal.args["response_type"] == "ephemeral"
    assert f"<@{APPROVER}>, <!subteam^{GROUP}>" in refusal.args["text"]
    assert services.state.get_approval(proposal.run_id).status == "pending"
    audit = services.state.audit_entries(run_id=proposal.run_id)
    assert any(e.action == "approval_refused" and e.actor == SOMEONE_ELSE for e in audit)


def test_when_slack_cannot_list_the_group_only_the_listed_approvers_may_decide(
    bot: RunningBot, proposal: Proposal, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    bot.api.fail("usergroups.users.list", "fatal_error")
    with caplog.at_level(logging.WARNING, logger="bot.approvers"):
        click(bot, proposal, ids.EDIT, MEMBER)
        [_, refusal] = bot.api.wait_for("response_url", count=2)
    assert "Only approvers may decide" in refusal.args["text"]
    assert bot.api.calls_to("views.open") == []
    [warning] = [r for r in caplog.records if r.name == "bot.approvers"]
    assert GROUP in warning.getMessage() and "fatal_error" in warning.getMessage()

    # A listed approver still decides; the failure was not cached, so Slack is asked again.
    view = open_edit_modal(bot, proposal, user_id=APPROVER)
    assert view["callback_id"] == ids.EDIT_MODAL
    assert len(bot.api.calls_to("usergroups.users.list")) == 2
    audit = services.state.audit_entries(run_id=proposal.run_id)
    assert any(e.action == "approval_refused" and e.actor == MEMBER for e in audit)
