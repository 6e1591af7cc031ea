"""The Edit modal of an escalated support answer: the draft pre-filled, an empty answer refused
beside its field, the edited text sent (decided in place) — through the real Bolt app and the
real knowledge base."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import ids
from controlroom.services import Services
from integrations.statestore import SlackThread
from sandbox import Workspace
from tests.integration.slack_app.conftest import Proposal
from tests.integration.slack_app.test_bot_approvals import APPROVER, open_edit_modal, state_of
from tests.slack_sandbox import RunningBot, running_bot, texts
from workflows.support_escalation import WORKFLOW as SUPPORT
from workflows.support_escalation import start_support

UNSURE = "Can I pay for my order with a goat?"
ASKER = "U0CUSTOMER"

pytestmark = pytest.mark.slow  # the real embedding model answers the question (seconds)


@pytest.fixture
def bot(services: Services, workspace: Workspace, ingested_kb: Path) -> Iterator[RunningBot]:
    with running_bot(services, workspace) as running:
        yield running


@pytest.fixture
def asked_in(bot: RunningBot) -> SlackThread:
    """The thread of the asker's question in #gtm (its event long dealt with)."""
    question = bot.slack.message(UNSURE, user_id=ASKER, channel="#gtm", mention=True)
    return SlackThread(question["channel"], question["ts"])


@pytest.fixture
def escalation(services: Services, bot: RunningBot, asked_in: SlackThread) -> Proposal:
    """A question the Support agent is unsure of, waiting for a person in #support-escalations
    (posted there as the app's message), its asker's thread remembered."""
    desk = services.desk
    outcome = start_support(
        desk.workflows[SUPPORT],
        UNSURE,
        asker=ASKER,
        state=services.state,
        database_url=desk.database_url,
        trigger="command",
    )
    assert outcome.status == "paused"
    posted = bot.workspace.add_message(
        "C0ESCALATIONS", {**bot.slack.api.bot_fields(), "text": f"Question: {UNSURE}"}
    )
    where = Proposal(outcome.run_id, "C0ESCALATIONS", posted["ts"])
    services.state.record_approval_message(
        outcome.run_id, channel_id=where.channel, message_ts=where.ts
    )
    services.state.record_run_thread(outcome.run_id, asked_in)
    return where


def test_an_answer_is_edited_in_a_modal_and_the_edited_text_is_sent(
    bot: RunningBot, escalation: Proposal, asked_in: SlackThread, services: Services
) -> None:
    draft = services.state.get_approval(escalation.run_id).summary["text"]
    view = open_edit_modal(bot, escalation)
    [text] = [b for b in view["blocks"] if b["type"] == "input"]
    assert (text["block_id"], text["element"]["initial_value"]) == (ids.EDIT_TEXT_BLOCK, draft)

    empty = bot.slack.submit_view(view, state_of(view, text=" "), user_id=APPROVER)
    assert list(empty.json()["errors"]) == [ids.EDIT_TEXT_BLOCK]
    assert services.state.get_approval(escalation.run_id).status == "pending"

    answer = "No goats, sorry: we take cards and PayPal."
    done = bot.slack.submit_view(view, state_of(view, text=answer), user_id=APPROVER)
    assert done.status_code == 200 and not done.text
    [update] = bot.api.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (escalation.channel, escalation.ts)
    shown = texts(update.args["blocks"])
    assert answer in shown and f"*Edited and approved* by <@{APPROVER}>" in shown
    assert f"Edited by <@{APPROVER}>" in shown and "answer rewritten" in shown
    assert all(b["type"] != "actions" for b in update.args["blocks"])
    sent = services.state.audit_entries(run_id=escalation.run_id)
    assert any(e.action == "answer_sent" and e.detail["text"] == answer for e in sent)
    # The support listener's hook answers in the asker's thread.
    [back] = bot.api.wait_for("chat.postMessage")
    assert (back.args["channel"], back.args["thread_ts"]) == (
        asked_in.channel_id,
        asked_in.thread_ts,
    )
    assert answer in back.args["text"]
