"""Where the app answers support questions in Slack and for whom: the ``channels`` and
``direct_messages`` settings of ``policies/support.yaml`` applied to one event.

A channel is listed by ID or by ``#name``. Events name a channel by ID only, so when the policy
lists a channel by name the app asks Slack for the name (``conversations.info``, scopes
``channels:read`` and ``groups:read``) and keeps it for a few minutes. While Slack cannot say,
the channel's settings are unknown and nothing is answered there: a mention is told to ask
again; a Slack failure never opens a channel to everyone nor lowers its threshold.

Who may ask is decided as who may approve (``bot.approvers``): the listed user ids and the
members of the user group, read from Slack; when Slack cannot say, the listed ids only. Anyone
else is told privately whom support answers there are for, and nothing more.

A place's threshold reaches the escalation decision through ``support_answer_under``: the
support policy with that threshold, in the services the workflow call runs with.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot import work
from bot.approvers import CACHE_SECONDS, LOOKUP_TIMEOUT_SECONDS, ApproverDirectory
from bot.blocks import messages
from controlroom.services import Services
from integrations.statestore import SlackThread
from policies.schema import ApprovalPolicy, SupportAudience, SupportChannel, SupportPolicy

logger = logging.getLogger(__name__)

# A public channel's messages (message.channels) and a private channel's (message.groups).
CHANNEL_TYPES = ("channel", "group")
CANNOT_TELL = (
    "I can't check this channel's support settings with Slack right now: please ask again in "
    "a few minutes."
)


# Where a channel's message event was posted, which decides the one listener that takes it.
ChannelMessagePlace = Literal["top_level", "thread_reply"]


def channel_message_place(event: dict[str, Any]) -> ChannelMessagePlace | None:
    """Where a ``message`` event was posted: in a channel itself (``top_level``: a question
    for support in an ``all_messages`` channel), or as a reply in a channel's thread
    (``thread_reply``: perhaps an answer in an escalation's thread,
    ``bot.listeners.escalation_replies``); None outside channels (a direct message). The
    message opening a thread is top-level. A mention of the app also arrives as
    ``app_mention``, answered there only."""
    if event.get("channel_type") not in CHANNEL_TYPES:
        return None
    thread_ts = event.get("thread_ts")
    return "thread_reply" if thread_ts and thread_ts != event.get("ts") else "top_level"


async def top_level_in_a_channel(event: dict[str, Any]) -> bool:
    """Bolt matcher: a message posted in a channel itself."""
    return channel_message_place(event) == "top_level"


async def reply_in_a_channel_thread(event: dict[str, Any]) -> bool:
    """Bolt matcher: a reply in a channel's thread."""
    return channel_message_place(event) == "thread_reply"


def mentions(event: dict[str, Any], user_id: str | None) -> bool:
    """Whether the message mentions ``user_id`` (the app's: Slack sends it as app_mention too)."""
    text = str(event.get("text") or "")
    return bool(user_id) and re.search(rf"<@{re.escape(str(user_id))}(\|[^>]*)?>", text) is not None


def askers_text(place: SupportAudience) -> str:
    """Whom support answers in ``place`` are for, in Slack's mrkdwn (the ids are validated)."""
    who = [f"<@{user}>" for user in place.asker_user_ids]
    if place.asker_usergroup is not None:
        who.append(f"members of <!subteam^{place.asker_usergroup}>")
    listed = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} and {who[-1]}"
    return f"Support answers here are for {listed}."


def privately(
    client: AsyncWebClient, user: str, channel_id: str, thread_ts: str | None
) -> Callable[[str], Awaitable[None]]:
    """Tell ``user`` something only they see, in the channel (in ``thread_ts`` when given)."""

    async def tell(text: str) -> None:
        logger.info("told %s privately in %s: %s", user, channel_id, text)
        await client.chat_postEphemeral(
            channel=channel_id,
            user=user,
            text=text,
            blocks=messages.notice_blocks(text),
            thread_ts=thread_ts,
        )

    return tell


class SupportPlaces:
    """The support settings of the places questions come from, for one app: channel names
    read from Slack and user groups' members kept for ``ttl`` seconds."""

    def __init__(
        self,
        policy: SupportPolicy,
        approvals: ApprovalPolicy,
        *,
        ttl: float = CACHE_SECONDS,
        timeout: float = LOOKUP_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.ttl = ttl
        self.timeout = timeout
        self._approvals = approvals
        self._clock = clock
        self._names: dict[str, tuple[str, float]] = {}
        self._askers: dict[tuple[tuple[str, ...], str], ApproverDirectory] = {}

    @property
    def direct_messages(self) -> SupportAudience:
        return self.policy.direct_messages

    @property
    def answers_all_messages(self) -> bool:
        """Whether some channel takes every top-level message as a question."""
        return any(c.respond_to == "all_messages" for c in self.policy.channels.values())

    async def channel(self, client: AsyncWebClient, channel_id: str) -> SupportChannel | None:
        """The settings of ``channel_id``; None when the policy names channels and Slack
        cannot say this one's name."""
        if channel_id in self.policy.channels or not self.policy.names_channels:
            return self.policy.channel(channel_id)
        name = await self._name(client, channel_id)
        return None if name is None else self.policy.channel(channel_id, name)

    async def may_ask(self, client: AsyncWebClient, place: SupportAudience, user: str) -> bool:
        """Whether ``user`` may ask a support question in ``place``."""
        return place.open_to_everyone or user in await self._askers_of(client, place)

    async def _askers_of(self, client: AsyncWebClient, place: SupportAudience) -> frozenset[str]:
        group = place.asker_usergroup
        if group is None:
            return frozenset(place.asker_user_ids)
        key = (tuple(place.asker_user_ids), group)
        directory = self._askers.get(key)
        if directory is None:
            # The approvers' directory reads a policy's listed ids and user group: the askers
            # stand in for the approvers.
            askers = self._approvals.model_copy(
                update={
                    "approver_user_ids": list(place.asker_user_ids),
                    "approver_usergroup": group,
                }
            )
            directory = self._askers[key] = ApproverDirectory(
                askers, ttl=self.ttl, timeout=self.timeout, clock=self._clock
            )
        return await directory.approvers(client)

    async def _name(self, client: AsyncWebClient, channel_id: str) -> str | None:
        kept = self._names.get(channel_id)
        if kept is not None and self._clock() < kept[1]:
            return kept[0]
        try:
            response = await asyncio.wait_for(
                client.conversations_info(channel=channel_id), self.timeout
            )
        except SlackApiError as error:
            why = str(error.response.get("error") or error.response.status_code)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            why = type(error).__name__
        else:
            name = str((response.get("channel") or {}).get("name") or "")
            self._names[channel_id] = (name, self._clock() + self.ttl)
            return name
        logger.warning(
            "could not read the name of channel %s from Slack (%s): support settings name "
            "channels, so nothing is answered there until Slack answers (scopes channels:read "
            "and groups:read)",
            channel_id,
            why,
        )
        return None


def support_answer_under(
    services: Services, threshold: float, question: str, asker: str, *, thread: SlackThread
) -> work.SupportReply:
    """``work.support_answer`` with ``threshold`` (the place's) as the confidence an answer
    needs to go out unreviewed: the Support agent answers under a copy of the support policy.
    Called through the runner, as ``bot.work``'s functions."""
    support = services.policies.support.model_copy(update={"confidence_threshold": threshold})
    here = dataclasses.replace(
        services, policies=services.policies.model_copy(update={"support": support})
    )
    return work.support_answer(here, question, asker, thread=thread)
