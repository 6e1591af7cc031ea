"""A workflow call the task queue gave up on (its workers kept dying: BROKER_MAX_DELIVERIES)
reaches the person through the app's one error handler, as a plain sentence: never the
exception's text, never the generic "something went wrong"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import ids
from bot.blocks.edit_modal import ModalMetadata
from bot.blocks.reject_modal import reject_modal
from bot.failures import GIVEN_UP, SORRY
from bot.runner import TaskGivenUpError
from controlroom.services import Services
from sandbox import Workspace
from tests.slack_sandbox import running_bot

REASON = "given up after 3 deliveries"


class GivingUpRunner:
    """A workflow runner whose every call comes back given up, as ``QueueRunner``'s does when
    a worker refuses a task delivered once too often."""

    busy = False

    async def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        raise TaskGivenUpError(REASON)

    def start(self) -> None:
        return

    def close(self) -> None:
        return


def test_a_given_up_command_tells_the_person_plainly_that_it_was_stopped(
    services: Services, workspace: Workspace
) -> None:
    with running_bot(services, workspace, runner=GivingUpRunner()) as bot:
        assert bot.slack.command("ask what was revenue last week?").status_code == 200
        [told] = bot.api.wait_for("response_url", timeout=30)

    assert told.args["text"] == GIVEN_UP != SORRY
    assert told.args["response_type"] == "ephemeral"
    assert REASON not in str(told.args) and "TaskGivenUpError" not in str(told.args)


def test_a_modal_whose_checks_are_given_up_gets_a_200_and_the_person_is_told(
    services: Services, workspace: Workspace
) -> None:
    # The reject modal's reason is checked against the run before the ack (the ack carries the
    # modal's errors): that check is given up here, in the ack function itself.
    metadata = ModalMetadata(run_id="f" * 32, where=None).dumped()
    view = reject_modal("f" * 32, metadata)
    typed = {
        ids.REJECT_REASON_BLOCK: {
            ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": "Too generous"}
        }
    }
    with running_bot(services, workspace, runner=GivingUpRunner()) as bot:
        reply = bot.slack.submit_view(view, typed, user_id="U0APPROVER")
        [told] = bot.api.wait_for("chat.postMessage", timeout=30)

    assert reply.status_code == 200  # Bolt's own answer to a failed ack is a 500
    assert told.args["text"] == GIVEN_UP
    assert told.args["channel"] == "U0APPROVER"  # a modal has no response URL: a DM
