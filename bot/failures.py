"""What a person is told when their request fails on our side: the one error reporter of the
Slack app, for an ack that raised (Bolt's ``@app.error``) and for a handed-off listener
(``bot.handoff``), in whichever process it ran."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import messages
from bot.listeners import replies
from bot.runner import TaskGivenUpError, WorkersUnavailableError
from integrations.statestore import SlackThread

logger = logging.getLogger(__name__)

SORRY = "Something went wrong on our side; it is in the log. Please try again in a minute."
BUSY = "The control room cannot take this now (busy, or restarting). Please try again in a minute."
GIVEN_UP = (
    "This request was tried several times and stopped each time on our side, so we have "
    "stopped trying; it is in the log. Please try again later, or tell whoever runs the app."
)


async def report_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> None:
    """Log the failure with its traceback; tell the person plainly, never the exception text:
    through the response URL when the request has one, in the thread of a mention or direct
    message, else in a direct message (App Home buttons and modals). Workers that cannot take
    the request (too busy, or stopping) are no fault (the runner logs busy refusals once a
    minute): the person is asked to try again. A call the task queue gave up on (its workers
    kept dying) is said to have been tried several times and stopped."""
    what = body.get("type") or body.get("command")
    text = SORRY
    if isinstance(error, WorkersUnavailableError):
        logger.debug("Slack request refused (%s): %s", what, error)
        text = BUSY
    elif isinstance(error, TaskGivenUpError):
        logger.error("Slack request given up (%s): %s", what, error)
        text = GIVEN_UP
    else:
        logger.exception("Slack request failed (%s)", what, exc_info=error)
    try:
        # A message event has no response URL: it is told where its answer would have gone.
        if thread := _event_thread(body):
            await replies.poster(client, thread)(text, messages.notice_blocks(text))
        else:
            await replies.tell_clicker(body, respond, client)(text)
    except SlackClientError:
        logger.warning("could not tell the person about the failure", exc_info=True)


def _event_thread(body: dict[str, Any]) -> SlackThread | None:
    """Where a message event's answer goes (a mention, a direct message), if it is one."""
    event = body.get("event") or {}
    if event.get("type") not in ("app_mention", "message"):
        return None
    return replies.event_thread(event)
