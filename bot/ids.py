"""Every Slack identifier the app answers to, shared by the Block Kit builders and ``register``.

A button built with one of these ids is routed by the listener registered with the same one.
"""

from __future__ import annotations

COMMAND = "/controlroom"

APPROVE = "approval_approve"
REJECT = "approval_reject"
EDIT = "approval_edit"

# The modal asking why a proposal is rejected; its input block and element.
REJECT_MODAL = "approval_reject_modal"
REJECT_REASON_BLOCK = "reject_reason"
REJECT_REASON_INPUT = "reject_reason_input"
