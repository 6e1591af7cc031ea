"""The modal editing a proposal: its fields for each kind of approval, pre-filled, and how a
submission is read back and its errors placed beside the fields; the metadata that it and the
reject modal carry (``ModalMetadata``), and the base of every modal's metadata
(``ViewMetadata``: read back, and written within Slack's 3,000 characters).

A campaign edits its discount (the policy's options within the cap), subject and audience cap;
an answer edits its text. The values are checked by the workflow's own ``check_edits`` (through
the desk), never here: this module only shows and reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot import ids
from bot.blocks.kit import Block, escape, plain, section, truncate, user_mention
from integrations.statestore import ApprovalRecord
from policies.schema import WinbackPolicy
from workflows.proposals import AnswerProposal, WinbackProposal, proposal_of
from workflows.support_escalation import MAX_ANSWER_CHARS
from workflows.winback_state import MAX_SUBJECT_CHARS

# Each editable field (as the workflow's ``check_edits`` names it): its input block and element.
EDIT_INPUTS: Mapping[str, tuple[str, str]] = {
    "discount": (ids.EDIT_DISCOUNT_BLOCK, ids.EDIT_DISCOUNT_INPUT),
    "subject": (ids.EDIT_SUBJECT_BLOCK, ids.EDIT_SUBJECT_INPUT),
    "audience_cap": (ids.EDIT_AUDIENCE_CAP_BLOCK, ids.EDIT_AUDIENCE_CAP_INPUT),
    "text": (ids.EDIT_TEXT_BLOCK, ids.EDIT_TEXT_INPUT),
}
# Slack shows a modal's title in at most 24 characters, an error beside a field briefly.
MAX_VIEW_TITLE = 24
MAX_FIELD_ERROR = 300
# A view's private_metadata holds at most 3,000 characters.
MAX_PRIVATE_METADATA = 3000


class ProposalMessage(BaseModel):
    """Where a proposal's message is in Slack, to update it in place after a decision."""

    model_config = ConfigDict(frozen=True)

    channel: str
    ts: str


class MetadataTooLargeError(ValueError):
    """A modal's metadata is past what Slack keeps: the message says what to do."""


class ViewMetadata(BaseModel):
    """What a modal carries in its ``private_metadata``, as the app wrote it: read back whole
    or not at all, and written within Slack's 3,000 characters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # What the person is told when the metadata would not fit.
    too_large: ClassVar[str] = "this form holds more than Slack can carry"

    @classmethod
    def read(cls, private_metadata: str) -> Self | None:
        """The metadata of a modal; None when it is not as the app wrote it."""
        try:
            return cls.model_validate_json(private_metadata)
        except ValidationError:
            return None

    def dumped(self) -> str:
        """As ``private_metadata``; ``MetadataTooLargeError`` past Slack's 3,000 characters."""
        metadata = self.model_dump_json(exclude_defaults=True)
        if len(metadata) > MAX_PRIVATE_METADATA:
            raise MetadataTooLargeError(self.too_large)
        return metadata


class ModalMetadata(ViewMetadata):
    """What a reject or edit modal carries in its ``private_metadata``: the run, where its
    proposal's message is, and (an edit) the values its fields were pre-filled with."""

    run_id: str
    where: ProposalMessage | None = None
    initial: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EditRequest:
    """A submitted edit modal: which run, where its message is, and the fields changed."""

    run_id: str
    where: ProposalMessage | None
    edits: dict[str, Any]


def edit_modal(
    approval: ApprovalRecord, *, policy: WinbackPolicy, where: ProposalMessage | None
) -> Block:
    """The modal editing a pending proposal, its fields pre-filled with the current values.

    A campaign edits its discount (the policy's options within the cap), subject and audience
    cap; an answer its text. The run, the proposal's message and the pre-filled values ride in
    ``private_metadata``, so only the fields the person changed are submitted as edits.
    """
    proposal = proposal_of(approval)
    if isinstance(proposal, AnswerProposal):
        blocks, initial = _answer_inputs(proposal)
        title, submit = "Edit answer", "Send edited answer"
        intro = "The asker gets your text where they asked; it is also learned for next time."
    else:
        blocks, initial = _campaign_inputs(proposal, policy)
        title, submit = "Edit win-back", "Re-price"
        intro = (
            "Changing a field re-prices the offer and re-drafts the emails; "
            "the proposal is then asked again."
        )
    metadata = ModalMetadata(run_id=approval.run_id, where=where, initial=initial).dumped()
    return {
        "type": "modal",
        "callback_id": ids.EDIT_MODAL,
        "private_metadata": metadata,
        "title": plain(truncate(title, MAX_VIEW_TITLE)),
        "submit": plain(truncate(submit, MAX_VIEW_TITLE)),
        "close": plain("Cancel"),
        "blocks": [*section(f"{intro}\nRun `{approval.run_id[:8]}`."), *blocks],
    }


def edit_request(view: Mapping[str, Any]) -> EditRequest:
    """Read a submitted edit modal: the fields whose value differs from the pre-filled one,
    as typed (the workflow's ``check_edits`` converts and validates them); ``ValueError``
    when its metadata is not as the app wrote it."""
    metadata = ModalMetadata.read(str(view.get("private_metadata") or ""))
    if metadata is None:
        raise ValueError("the edit modal's metadata is not the app's")
    initial = metadata.initial
    values = view.get("state", {}).get("values", {})
    edits: dict[str, Any] = {}
    for field, (block_id, action_id) in EDIT_INPUTS.items():
        if block_id not in values:
            continue
        element = values[block_id].get(action_id, {})
        if element.get("type") == "static_select":
            value = (element.get("selected_option") or {}).get("value") or ""
        else:
            value = element.get("value") or ""
        if field not in initial or value != initial[field]:
            edits[field] = value
    return EditRequest(metadata.run_id, metadata.where, edits)


def edit_errors(view: Mapping[str, Any], fields: Mapping[str, str], message: str) -> dict[str, str]:
    """Errors for ``response_action: errors``: each wrong field's message beside its input;
    a problem that is no field's (or a refusal) beside the first input of the modal."""
    present = [b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"]
    errors = {
        EDIT_INPUTS[field][0]: field_error(text)
        for field, text in fields.items()
        if field in EDIT_INPUTS and EDIT_INPUTS[field][0] in present
    }
    if not errors and present:
        errors[str(present[0])] = field_error(message)
    return errors


def field_error(text: str) -> str:
    """A problem as shown beside a modal's field: a sentence, within what Slack shows."""
    return truncate(_sentence(text), MAX_FIELD_ERROR)


def _campaign_inputs(
    proposal: WinbackProposal, policy: WinbackPolicy
) -> tuple[list[Block], dict[str, str]]:
    options = [d for d in policy.discount_options if d <= policy.max_discount]
    current = proposal.discount
    choices: list[Block] = [
        {"text": plain(f"{d:.0%} off"), "value": _number_text(d)} for d in options
    ]
    discount: Block = {
        "type": "static_select",
        "action_id": ids.EDIT_DISCOUNT_INPUT,
        "options": choices,
    }
    initial: dict[str, str] = {}
    chosen = next((c for c in choices if c["value"] == _number_text(current)), None)
    if chosen is not None:
        discount["initial_option"] = chosen
        initial["discount"] = str(chosen["value"])
    subject: Block = {
        "type": "plain_text_input",
        "action_id": ids.EDIT_SUBJECT_INPUT,
        "max_length": MAX_SUBJECT_CHARS,
    }
    if proposal.subject:
        subject["initial_value"] = truncate(proposal.subject, MAX_SUBJECT_CHARS)
        initial["subject"] = subject["initial_value"]
    cap: Block = {
        "type": "number_input",
        "action_id": ids.EDIT_AUDIENCE_CAP_INPUT,
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(policy.audience_cap),
    }
    if proposal.audience >= 1:
        cap["initial_value"] = _number_text(min(proposal.audience, policy.audience_cap))
        initial["audience_cap"] = cap["initial_value"]
    blocks = [
        _input("discount", "Discount", discount, hint="Options within the policy's cap."),
        _input("subject", "Subject line", subject, hint="The same subject for every email."),
        _input(
            "audience_cap",
            "Audience cap",
            cap,
            hint=f"Send to at most this many customers (policy: {policy.audience_cap}).",
        ),
    ]
    return blocks, initial


def _answer_inputs(proposal: AnswerProposal) -> tuple[list[Block], dict[str, str]]:
    question = truncate(proposal.question, 2500)
    text: Block = {
        "type": "plain_text_input",
        "action_id": ids.EDIT_TEXT_INPUT,
        "multiline": True,
        "max_length": MAX_ANSWER_CHARS,
    }
    if proposal.text:
        text["initial_value"] = truncate(proposal.text, MAX_ANSWER_CHARS)
    blocks = [
        *section(f"*Question* from {user_mention(proposal.asker)}:\n>{escape(question)}"),
        _input("text", "Answer", text),
    ]
    # A draft may be longer than private_metadata holds: the text is always the edit.
    return blocks, {}


def _input(field: str, label: str, element: Block, *, hint: str | None = None) -> Block:
    block_id, _ = EDIT_INPUTS[field]
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label)}
    block["element"] = element
    if hint:
        block["hint"] = plain(hint)
    return block


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _number_text(value: float) -> str:
    """How a number is written into a form (0.15, 240): the same text when pre-filled and
    when compared with what comes back."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
