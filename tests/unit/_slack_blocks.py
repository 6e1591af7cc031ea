"""What the Block Kit tests share: a check that Slack would accept blocks as one message."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks import kit


def assert_valid(message_blocks: list[dict[str, Any]]) -> None:
    """Slack would accept these blocks as one message (slack_sdk validates the limits)."""
    parsed = [Block.parse(block) for block in message_blocks]
    for block in parsed:
        assert block is not None
        block.validate_json()
    # slack_sdk's Message model (which checks the 50) is deprecated and warns: count here.
    assert len(parsed) <= kit.MAX_BLOCKS
