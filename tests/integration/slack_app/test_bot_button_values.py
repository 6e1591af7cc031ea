"""A button's value, or a modal's run id, names one run exactly: an empty, unknown or shortened
value decides nothing and opens no modal, and the person is told in one line (never a 5xx).
The CLI keeps its prefix look-up (tests/integration/test_approvals_cli.py)."""

from __future__ import annotations

import json
import logging

import pytest

from bot import ids
from controlroom.services import Services
from tests.integration.slack_app.conftest import Proposal
from tests.proposals import ask_approval, winback_proposal
from tests.slack_sandbox import RunningBot

APPROVER = "U0APPROVER"  # policies/approvals.yaml


@pytest.fixture
def proposal(services: Services) -> Proposal:
    """The one win-back waiting for a decision (as its run leaves it: paused, its approval
    asked and its message remembered); no click here gets as far as its workflow."""
    run = services.state.start_run("winback", started_by="U0MARKETER", trigger="command")
    ask_approval(services.state, run.run_id, winback_proposal(audience=3))
    services.state.finish_run(run.run_id, "paused")
    services.state.record_approval_message(
        run.run_id, channel_id="C0APPROVALS", message_ts="1764000000.000001"
    )
    return Proposal(run.run_id, "C0APPROVALS", "1764000000.000001")


def told(bot: RunningBot, count: int) -> str:
    """The text of the ``count``-th ephemeral reply through the response URL."""
    return str(bot.api.wait_for("response_url", count)[count - 1].args["text"])


def no_trouble_logged(caplog: pytest.LogCaptureFixture) -> None:
    troubles = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert troubles == []


@pytest.mark.parametrize("action", [ids.APPROVE, ids.REJECT, ids.EDIT, ids.REVIEW])
@pytest.mark.parametrize("value", ["", "prefix", "unknown", "long"])
def test_a_click_whose_value_is_not_exactly_a_run_id_decides_nothing_and_says_so(
    bot: RunningBot,
    proposal: Proposal,
    services: Services,
    caplog: pytest.LogCaptureFixture,
    action: str,
    value: str,
) -> None:
    sent = {
        "": "",
        "prefix": proposal.run_id[:8],
        "unknown": "f" * 32,
        "long": proposal.run_id + "x" * 1900,
    }[value]
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    reply = bot.slack.click(action, sent, user_id=APPROVER, **where)
    assert reply.status_code == 200
    text = told(bot, 1)
    assert "run id" in text and len(text) < 300
    assert services.state.get_approval(proposal.run_id).status == "pending"
    assert bot.api.calls_to("views.open") == [] and bot.api.calls_to("chat.update") == []
    no_trouble_logged(caplog)


def reject_view(run_id: object, *, metadata: str | None = None) -> dict[str, object]:
    where = {"channel": "C0APPROVALS", "ts": "1764000000.000001"}
    return {
        "callback_id": ids.REJECT_MODAL,
        "private_metadata": metadata or json.dumps({"run_id": run_id, "where": where}),
        "blocks": [{"type": "input", "block_id": ids.REJECT_REASON_BLOCK}],
    }


REASON = {ids.REJECT_REASON_BLOCK: {ids.REJECT_REASON_INPUT: {"value": "Too generous"}}}


@pytest.mark.parametrize(
    "view",
    [
        reject_view(""),
        reject_view(None),
        reject_view(12),
        reject_view("f" * 32),
        reject_view("", metadata="not json"),
        reject_view("", metadata='["a list"]'),
    ],
    ids=["empty", "null", "a number", "unknown", "metadata not JSON", "metadata a list"],
)
def test_a_reject_modal_without_an_exact_run_id_decides_nothing_and_says_so_in_the_modal(
    bot: RunningBot,
    proposal: Proposal,
    services: Services,
    caplog: pytest.LogCaptureFixture,
    view: dict[str, object],
) -> None:
    reply = bot.slack.submit_view(view, REASON, user_id=APPROVER)
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert "run" in answer["errors"][ids.REJECT_REASON_BLOCK]
    assert services.state.get_approval(proposal.run_id).status == "pending"
    no_trouble_logged(caplog)


@pytest.mark.parametrize(
    "metadata",
    [json.dumps({"run_id": "", "initial": {}}), "not json", json.dumps({"initial": {}})],
    ids=["an empty run id", "metadata not JSON", "no run id"],
)
def test_an_edit_modal_without_an_exact_run_id_decides_nothing_and_says_so_in_the_modal(
    bot: RunningBot,
    proposal: Proposal,
    services: Services,
    caplog: pytest.LogCaptureFixture,
    metadata: str,
) -> None:
    view = {
        "callback_id": ids.EDIT_MODAL,
        "private_metadata": metadata,
        "blocks": [{"type": "input", "block_id": ids.EDIT_SUBJECT_BLOCK}],
    }
    typed = {ids.EDIT_SUBJECT_BLOCK: {ids.EDIT_SUBJECT_INPUT: {"value": "Come back"}}}
    reply = bot.slack.submit_view(view, typed, user_id=APPROVER)
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert "run" in answer["errors"][ids.EDIT_SUBJECT_BLOCK]
    assert services.state.get_approval(proposal.run_id).status == "pending"
    no_trouble_logged(caplog)
