"""Slack identifiers as the policy files write them: a channel (``#name`` or its ID), user IDs
and a user group's ID. Each check returns the value, or raises ``ValueError`` saying what was
expected (the loader turns it into one line naming the file and the key)."""

from __future__ import annotations

import re

_SLACK_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{6,})$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{6,}$")
_SLACK_USERGROUP = re.compile(r"^S[A-Z0-9]{6,}$")


def check_channel(value: str) -> str:
    """A channel as the policies name one: ``#name`` or its ID."""
    if not _SLACK_CHANNEL.match(value):
        raise ValueError("a channel name like '#gtm-digest' or a channel ID like 'C0123ABCD'")
    return value


def check_user_ids(value: list[str]) -> list[str]:
    """Slack user IDs (``U…``, or ``W…`` in an Enterprise Grid)."""
    for user_id in value:
        if not _SLACK_USER.match(user_id):
            raise ValueError(f"Slack user IDs like 'U0123ABCD', got {user_id!r}")
    return value


def check_usergroup(value: str | None) -> str | None:
    """A user group's ID (``S…``), or none."""
    if value is not None and not _SLACK_USERGROUP.match(value):
        raise ValueError("a Slack user group ID like 'S0123ABCD'")
    return value
