"""Arguments and blocks as Slack checks them: JSON given as text or objects, required
arguments, and blocks validated with slack_sdk's own models against Slack's limits."""

from __future__ import annotations

import json
import secrets
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from sandbox.errors import ApiError

Args = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
# Block types slack_sdk's models may not know yet but Slack accepts.
_OTHER_BLOCK_TYPES = frozenset(
    {"markdown", "table", "rich_text", "video", "file", "context_actions"}
)


def check_blocks(blocks: Any, limit: int) -> list[dict[str, Any]]:
    """``blocks`` as Slack accepts them, a ``block_id`` given to each block that has none (as
    Slack does); raises ``ApiError("invalid_blocks")`` with what is wrong."""
    if blocks in (None, "", []):
        return []
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise ApiError("invalid_blocks", "blocks must be an array of objects")
    if len(blocks) > limit:
        raise ApiError(
            "invalid_blocks", f"no more than {limit} items allowed [json-pointer:/blocks]"
        )
    checked = []
    for index, block in enumerate(blocks):
        try:
            parsed = Block.parse(block)
            if parsed is None and block.get("type") not in _OTHER_BLOCK_TYPES:
                raise SlackObjectFormationError(f"unknown block type {block.get('type')!r}")
            if parsed is not None:
                parsed.validate_json()
        except SlackObjectFormationError as problem:
            raise ApiError("invalid_blocks", f"{problem} [json-pointer:/blocks/{index}]") from None
        checked.append({"block_id": secrets.token_urlsafe(4), **block})
    return checked


def json_arg(args: Args, key: str) -> Any:
    value = args.get(key)
    if isinstance(value, str) and value.strip():
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(f"invalid_{key}" if key == "blocks" else "invalid_json") from None
    return value


def required(args: Args, key: str, error: str = "invalid_arguments") -> str:
    value = args.get(key)
    if value in (None, ""):
        raise ApiError(error)
    return str(value)
