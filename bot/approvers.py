"""Who may decide approvals in Slack: the user ids listed in ``policies/approvals.yaml`` plus the
members of its ``approver_usergroup``, read from Slack (``usergroups.users.list``, scope
``usergroups:read``) and kept for a few minutes.

When Slack cannot say who is in the group (an outage, a missing scope, a slow answer), only the
listed ids may decide and a warning is logged: a Slack failure never grants rights. The
approval desk itself never calls Slack; the listeners pass it the resolved set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from policies.schema import ApprovalPolicy

logger = logging.getLogger(__name__)

# Membership changes rarely; a few minutes keeps clicks from waiting on Slack each time.
CACHE_SECONDS = 300.0
# A modal's answer is due within Slack's 3 s: a slower user-group lookup counts as a failure.
LOOKUP_TIMEOUT_SECONDS = 2.0


class ApproverDirectory:
    """The approvers of one app, the user group's members cached for ``ttl`` seconds."""

    def __init__(
        self,
        policy: ApprovalPolicy,
        *,
        ttl: float = CACHE_SECONDS,
        timeout: float = LOOKUP_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._members: frozenset[str] | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    @property
    def listed(self) -> frozenset[str]:
        """The user ids the policy names."""
        return frozenset(self.policy.approver_user_ids)

    async def approvers(self, client: AsyncWebClient) -> frozenset[str]:
        """Everyone who may decide now: the listed ids and the user group's members."""
        group = self.policy.approver_usergroup
        if group is None:
            return self.listed
        async with self._lock:
            if self._members is None or self._clock() >= self._expires:
                members = await self._read_members(client, group)
                if members is None:
                    # Not cached: the next click asks Slack again.
                    return self.listed
                self._members, self._expires = members, self._clock() + self.ttl
            return self.listed | self._members

    async def _read_members(self, client: AsyncWebClient, group: str) -> frozenset[str] | None:
        try:
            response = await asyncio.wait_for(
                client.usergroups_users_list(usergroup=group), self.timeout
            )
        except SlackApiError as error:
            why = str(error.response.get("error") or error.response.status_code)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            why = type(error).__name__
        else:
            return frozenset(str(user) for user in response.get("users") or [])
        logger.warning(
            "could not read the members of user group %s from Slack (%s): only the listed "
            "approvers (%s) may decide until it answers",
            group,
            why,
            ", ".join(self.policy.approver_user_ids) or "none",
        )
        return None
