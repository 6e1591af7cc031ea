"""Win-back proposals in Slack: posted with buttons, decided by approvers only, exactly once,
through the real Bolt app over signed HTTP against a fake Slack Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import ids
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from integrations.warehouse import Warehouse
from sandbox import Call, Workspace
from tests.integration.slack_app.conftest import Proposal
from tests.slack_sandbox import RunningBot, running_bot, texts

APPROVER = "U0APPROVER"  # policies/approvals.yaml
SOMEONE_ELSE = "U0MARKETER"
OTHER_APPROVER = "U0GROUPLEAD"  # an approver through the user group, deciding meanwhile


@pytest.fixture
def bot(
    services: Services, workspace: Workspace, sample_warehouse: Warehouse
) -> Iterator[RunningBot]:
    with running_bot(services, workspace) as running:
        yield running


def test_winback_posts_a_proposal_with_approve_reject_edit_buttons(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    [posted] = bot.api.calls_to("chat.postMessage")
    assert posted.args["channel"] == "#gtm-approvals"
    actions = next(b for b in posted.args["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        ids.APPROVE,
        ids.REJECT,
        ids.EDIT,
        ids.REVIEW,
    ]
    assert {e["value"] for e in actions["elements"]} == {proposal.run_id}
    assert "Audience" in texts(posted.args["blocks"])
    [told] = bot.api.calls_to("response_url")
    assert "posted in #gtm-approvals" in told.args["text"]
    approval = services.state.get_approval(proposal.run_id)
    assert (approval.channel_id, approval.message_ts) == (proposal.channel, proposal.ts)


def updates_until_sent(bot: RunningBot) -> list[Call]:
    """The proposal's updates after an approval, up to the one with the final counts (Slack
    sends the clicked message along, so the app first shows it sending)."""
    updates = bot.api.wait_for("chat.update")
    while "emails sent" not in texts(updates[-1].args["blocks"]):
        updates = bot.api.wait_for("chat.update", count=len(updates) + 1)
    return updates


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
    update = updates_until_sent(bot)[-1]
    assert (update.args["channel"], update.args["ts"]) == (proposal.channel, proposal.ts)
    assert all(b["type"] != "actions" for b in update.args["blocks"])
    shown = texts(update.args["blocks"])
    assert f"*Approved* by <@{APPROVER}> at" in shown
    assert "emails sent" in shown
    assert services.state.get_run(proposal.run_id).status == "succeeded"
    assert services.state.outbox_emails(run_id=proposal.run_id)


def test_an_approved_campaign_loses_its_buttons_and_shows_sending_then_the_final_counts(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    bot.slack.click(
        ids.APPROVE,
        proposal.run_id,
        user_id=APPROVER,
        message_ts=proposal.ts,
        channel=proposal.channel,
    )
    updates = updates_until_sent(bot)
    assert len(updates) >= 2
    sending, final = updates[0], updates[-1]
    audience = len(services.state.outbox_emails(run_id=proposal.run_id))
    assert all(b["type"] != "actions" for b in sending.args["blocks"])
    assert "Audience" in texts(sending.args["blocks"])  # the proposal stays readable
    assert f"Sending… 0 of {audience}" in texts(sending.args["blocks"])
    shown = texts(final.args["blocks"])
    assert f"{audience} emails sent" in shown
    assert "Sending…" not in shown


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


# Edit: a modal with the proposal's fields, checked by the workflow ----------------------------


def open_edit_modal(bot: RunningBot, proposal: Proposal, *, user_id: str = APPROVER) -> dict:
    """Click Edit; the modal the app opened (views.open)."""
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.EDIT, proposal.run_id, user_id=user_id, **where)
    [opened] = bot.api.wait_for("views.open")
    return dict(opened.args["view"])


def state_of(view: dict, **changes: str) -> dict:
    """What Slack submits for ``view``: every input's pre-filled value, ``changes`` typed over
    (keyed by field: discount, subject, audience_cap, text)."""
    values: dict = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        field = block["block_id"].removeprefix("edit_")
        typed = changes.get(field)
        if element["type"] == "static_select":
            chosen = element.get("initial_option")
            if typed is not None:
                chosen = {"text": {"type": "plain_text", "text": typed}, "value": typed}
            value = {"type": "static_select", "selected_option": chosen}
        else:
            value = {"type": element["type"], "value": typed or element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: value}
    return values


def input_block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_edit_opens_a_modal_prefilled_with_the_discount_subject_and_audience_cap(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_edit_modal(bot, proposal)
    summary = services.state.get_approval(proposal.run_id).summary
    assert view["callback_id"] == ids.EDIT_MODAL
    discount = input_block(view, ids.EDIT_DISCOUNT_BLOCK)["element"]
    assert float(discount["initial_option"]["value"]) == summary["discount"]
    policy = services.policies.winback
    allowed = [d for d in policy.discount_options if d <= policy.max_discount]
    assert [float(o["value"]) for o in discount["options"]] == allowed
    subject = input_block(view, ids.EDIT_SUBJECT_BLOCK)["element"]
    assert subject["initial_value"] == summary["subject"]
    cap = input_block(view, ids.EDIT_AUDIENCE_CAP_BLOCK)["element"]
    assert (cap["initial_value"], cap["max_value"]) == (
        str(summary["audience"]),
        str(policy.audience_cap),
    )
    assert json.loads(view["private_metadata"])["run_id"] == proposal.run_id


def test_a_valid_edit_reprices_and_asks_again_on_the_same_message(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    before = services.state.get_approval(proposal.run_id).summary
    view = open_edit_modal(bot, proposal)
    options = input_block(view, ids.EDIT_DISCOUNT_BLOCK)["element"]["options"]
    other = next(o["value"] for o in options if float(o["value"]) != before["discount"])
    cap = str(before["audience"] // 2)
    reply = bot.slack.submit_view(
        view, state_of(view, discount=other, audience_cap=cap), user_id=APPROVER
    )
    assert reply.status_code == 200 and not reply.text  # the modal closes
    [update] = bot.api.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (proposal.channel, proposal.ts)
    shown = texts(update.args["blocks"])
    actions = next(b for b in update.args["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        ids.APPROVE,
        ids.REJECT,
        ids.EDIT,
        ids.REVIEW,
    ]
    assert f"*Offer:* {float(other):.0%} off" in shown
    assert f"*Audience:* {cap} customers" in shown
    assert f"Edited by <@{APPROVER}> at" in shown
    assert f"discount {before['discount']:.0%} → {float(other):.0%}" in shown
    assert f"audience {before['audience']} → {cap} customers" in shown
    approval = services.state.get_approval(proposal.run_id)
    assert (approval.status, approval.round) == ("pending", 2)
    assert approval.summary["discount"] == float(other)
    assert services.state.outbox_emails(run_id=proposal.run_id) == []

    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.APPROVE, proposal.run_id, user_id=APPROVER, **where)
    [_, decided] = bot.api.wait_for("chat.update", count=2)
    shown = texts(decided.args["blocks"])
    assert "*Approved* by" in shown and f"discount {before['discount']:.0%} →" in shown
    assert len(services.state.outbox_emails(run_id=proposal.run_id)) == int(cap)


def test_an_invalid_edit_is_shown_beside_each_wrong_field_and_decides_nothing(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_edit_modal(bot, proposal)
    # What Slack's own widgets would not let through: a forged or outdated form.
    typed = state_of(view, discount="0.25", audience_cap="100000", subject=" ")
    reply = bot.slack.submit_view(view, typed, user_id=APPROVER)
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert errors[ids.EDIT_DISCOUNT_BLOCK].startswith("The discount must be one of 10%, 15%")
    assert "between 1 and the policy's 500" in errors[ids.EDIT_AUDIENCE_CAP_BLOCK]
    assert "one line of 1 to 150 characters" in errors[ids.EDIT_SUBJECT_BLOCK]
    approval = services.state.get_approval(proposal.run_id)
    assert (approval.status, approval.round) == ("pending", 1)
    assert bot.api.calls_to("chat.update") == []


def test_an_unchanged_edit_modal_asks_for_a_change(bot: RunningBot, proposal: Proposal) -> None:
    view = open_edit_modal(bot, proposal)
    reply = bot.slack.submit_view(view, state_of(view), user_id=APPROVER)
    errors = reply.json()["errors"]
    assert list(errors) == [ids.EDIT_DISCOUNT_BLOCK]
    assert (
        "An edit changes the discount, the subject or the audience cap"
        in errors[ids.EDIT_DISCOUNT_BLOCK]
    )


def test_a_non_approver_may_not_open_the_edit_modal(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.EDIT, proposal.run_id, user_id=SOMEONE_ELSE, **where)
    [_, refusal] = bot.api.wait_for("response_url", count=2)
    assert refusal.args["response_type"] == "ephemeral"
    assert "Only approvers may decide proposals" in refusal.args["text"]
    assert f"<@{APPROVER}>" in refusal.args["text"]
    assert bot.api.calls_to("views.open") == []
    audit = services.state.audit_entries(run_id=proposal.run_id)
    assert any(e.action == "approval_refused" and e.actor == SOMEONE_ELSE for e in audit)


def test_an_edit_submitted_by_a_non_approver_is_refused_in_the_modal_and_audited(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_edit_modal(bot, proposal)
    reply = bot.slack.submit_view(view, state_of(view, subject="Free stuff"), user_id=SOMEONE_ELSE)
    errors = reply.json()["errors"]
    assert errors[ids.EDIT_DISCOUNT_BLOCK].startswith("Only approvers may decide proposals: ")
    assert services.state.get_approval(proposal.run_id).status == "pending"
    audit = services.state.audit_entries(run_id=proposal.run_id)
    assert any(e.action == "approval_refused" and e.actor == SOMEONE_ELSE for e in audit)


def reject_meanwhile(services: Services, proposal: Proposal) -> None:
    """Another approver rejects the proposal (as the bot's desk would, for a group member)."""
    services.desk.decide(
        proposal.run_id, "rejected", OTHER_APPROVER, reason="No", approvers={OTHER_APPROVER}
    )


def test_an_edit_modal_gone_stale_says_who_decided_first_and_when_in_the_team_time(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_edit_modal(bot, proposal)
    reject_meanwhile(services, proposal)
    reply = bot.slack.submit_view(view, state_of(view, subject="Too late"), user_id=APPROVER)
    [error] = reply.json()["errors"].values()
    approval = services.state.get_approval(proposal.run_id)
    assert (approval.status, approval.decided_by) == ("rejected", OTHER_APPROVER)
    assert approval.decided_at is not None
    # A field error renders no date token: the team's time (policies/schedule.yaml), named.
    decided = approval.decided_at.astimezone(ZoneInfo("America/Denver"))
    assert error == (
        f"Already rejected by {OTHER_APPROVER} at {decided:%Y-%m-%d %H:%M %Z}: "
        "this form is out of date."
    )
    assert decided.tzname() in ("MST", "MDT")
    assert bot.api.calls_to("chat.update") == []


def test_reject_of_a_decided_proposal_says_who_decided_without_opening_a_modal(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    reject_meanwhile(services, proposal)
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.REJECT, proposal.run_id, user_id=APPROVER, **where)
    [_, late] = bot.api.wait_for("response_url", count=2)
    assert f"already rejected by <@{OTHER_APPROVER}>" in late.args["text"]
    assert bot.api.calls_to("views.open") == []


# A restart between the proposal and its approval -----------------------------------------


@pytest.mark.slow  # two app starts and a campaign sent: ~3 s
def test_a_proposal_is_approved_on_its_old_message_after_a_restart_and_sends_once(
    settings: Settings,
    sample_warehouse: Warehouse,
    isolated_environment: Path,
    workspace: Workspace,
) -> None:
    first = build_services(settings)
    try:
        with running_bot(first, workspace) as before:
            before.slack.command("winback")
            [posted] = before.api.wait_for("chat.postMessage")
            before.api.wait_for("response_url")
    finally:
        first.close()
    actions = next(b for b in posted.args["blocks"] if b["type"] == "actions")
    run_id = actions["elements"][0]["value"]

    second = build_services(settings)
    try:
        audience = second.state.get_approval(run_id).summary["audience"]
        approval = second.state.get_approval(run_id)
        where = {"message_ts": approval.message_ts, "channel": approval.channel_id}
        with running_bot(second, workspace) as after:
            after.slack.click(ids.APPROVE, run_id, user_id=APPROVER, **where)
            updates = updates_until_sent(after)
            update = updates[-1]
            assert (update.args["channel"], update.args["ts"]) == (
                approval.channel_id,
                approval.message_ts,
            )
            assert f"*Approved* by <@{APPROVER}>" in texts(update.args["blocks"])
            after.slack.click(ids.APPROVE, run_id, user_id=APPROVER, **where)
            after.slack.click(ids.APPROVE, run_id, user_id=SOMEONE_ELSE, **where)
            replies = after.api.wait_for("response_url", count=2)
        said = sorted(reply.args["text"] for reply in replies)
        assert said[0].startswith("Only approvers may decide")
        assert said[1].startswith(f"This win-back proposal was already approved by <@{APPROVER}>")
        assert len(after.api.calls_to("chat.update")) == len(updates)  # none by the clicks
        emails = second.state.outbox_emails(run_id=run_id)
        audit = second.state.audit_entries(run_id=run_id)
    finally:
        second.close()
    assert len(emails) == audience
    assert len({email.customer_id for email in emails}) == audience
    assert {email.status for email in emails} == {"sent"}
    assert len(list((isolated_environment / "outbox").glob("*.eml"))) == audience
    assert [e.action for e in audit].count("campaign_sent") == 1
    assert any(e.action == "approval_refused" and e.actor == SOMEONE_ELSE for e in audit)


def test_a_pending_proposal_says_how_many_of_its_audience_another_campaign_just_emailed(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    assert bot.slack.command("winback").status_code == 200
    [_, second_post] = bot.api.wait_for("chat.postMessage", count=2)
    second = next(b for b in second_post.args["blocks"] if b["type"] == "actions")
    second_run = second["elements"][0]["value"]
    assert "another campaign" not in texts(second_post.args["blocks"])
    bot.api.wait_for("response_url", count=2)  # posted, and where it was recorded
    second_at = services.state.get_approval(second_run)
    assert second_at.message_ts

    bot.slack.click(
        ids.APPROVE,
        proposal.run_id,
        user_id=APPROVER,
        message_ts=proposal.ts,
        channel=proposal.channel,
    )
    updates = bot.api.wait_for("chat.update")
    while not any(u.args["ts"] == second_at.message_ts for u in updates):
        updates = bot.api.wait_for("chat.update", count=len(updates) + 1)
    [warned] = [u for u in updates if u.args["ts"] == second_at.message_ts]
    sent = len(services.state.outbox_emails(run_id=proposal.run_id))
    assert sent > 0
    shown = texts(warned.args["blocks"])
    audience = second_at.summary["audience"]
    assert f"{sent} of these {audience} customers were emailed by another campaign" in shown
    # Still waiting for a decision: its buttons stay, and approving it emails nobody twice.
    assert any(b["type"] == "actions" for b in warned.args["blocks"])
    assert services.state.emailed_since_proposed(second_run) == sent
