"""The modal asking why a proposal is rejected, and how its reason is read back. The run id
rides in its ``private_metadata`` (``edit_modal.ModalMetadata``, as the edit modal's does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import ids
from bot.blocks.kit import Block, plain, section


def reject_modal(run_id: str, private_metadata: str) -> Block:
    """The modal asking why a proposal is rejected; the run id rides in ``private_metadata``."""
    return {
        "type": "modal",
        "callback_id": ids.REJECT_MODAL,
        "private_metadata": private_metadata,
        "title": plain("Reject proposal"),
        "submit": plain("Reject"),
        "close": plain("Cancel"),
        "blocks": [
            *section(f"Rejecting run `{run_id[:8]}`."),
            {
                "type": "input",
                "block_id": ids.REJECT_REASON_BLOCK,
                "label": plain("Why?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REJECT_REASON_INPUT,
                    "multiline": True,
                    "max_length": 500,
                },
            },
        ],
    }


def reject_reason(view: Mapping[str, Any]) -> str:
    """The reason typed into the rejection modal, stripped (empty when none)."""
    values = view.get("state", {}).get("values", {})
    typed = values.get(ids.REJECT_REASON_BLOCK, {}).get(ids.REJECT_REASON_INPUT, {})
    return str(typed.get("value") or "").strip()
