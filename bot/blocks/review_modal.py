"""The per-recipient review of a win-back proposal: a paged modal of its audience (``PER_PAGE``
a page) with a menu on each row — exclude, include again, rewrite the email — and the modal
rewriting one recipient's email, pushed over it.

What the person chose so far rides in the review modal's ``private_metadata``
(``ReviewMetadata``), so paging keeps it and nothing is stored until the review is submitted as
an edit of the proposal, checked by the workflow (``check_edits``) like any other. Slack keeps
at most 3,000 characters there: a review that would carry more is refused with what to do
(``MetadataTooLargeError``). This module only shows and reads; it decides nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents import formatting as fmt
from bot import ids
from bot.blocks.edit_modal import MAX_VIEW_TITLE, ProposalMessage, ViewMetadata
from bot.blocks.kit import Block, button, context, escape, plain, section, truncate
from workflows.proposals import Recipient, SampleEmail, WinbackProposal
from workflows.winback_state import MAX_DRAFT_CHARS, MAX_SUBJECT_CHARS

PER_PAGE = 10
# Slack's overflow menu option text (plain) is at most 75 characters.
MAX_OPTION_TEXT = 75
# A customer id fits a BIGINT: at most 18 digits read as one.
MAX_NUMBER_DIGITS = 18

RowVerb = Literal["exclude", "include", "rewrite"]


class DraftRewrite(BaseModel):
    """One recipient's email as a person rewrote it in the review."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: int
    subject: str
    body: str


_REVIEW_TOO_LARGE = (
    "this review holds more than one form can carry: re-price with these choices "
    "first, then review again"
)


class ReviewMetadata(ViewMetadata):
    """A review modal's ``private_metadata``: the run, where its proposal's message is, the page
    shown, and the choices so far (who to exclude, one rewritten email)."""

    too_large: ClassVar[str] = _REVIEW_TOO_LARGE

    run_id: str
    where: ProposalMessage | None = None
    page: int = 0
    exclude: list[int] = Field(default_factory=list)
    draft: DraftRewrite | None = None

    def edits(self) -> dict[str, Any]:
        """The review as an edit of the proposal (empty when nothing was chosen)."""
        edits: dict[str, Any] = {}
        if self.exclude:
            edits["exclude"] = list(self.exclude)
        if self.draft is not None:
            edits["draft"] = self.draft.model_dump()
        return edits

    def choose(self, verb: Literal["exclude", "include"], customer_id: int) -> ReviewMetadata:
        """The review with one recipient to exclude (dropping her rewritten email), or not."""
        kept = [c for c in self.exclude if c != customer_id]
        if verb == "include":
            return self.model_copy(update={"exclude": kept})
        rewritten = self.draft if self.draft and self.draft.customer_id != customer_id else None
        return self.model_copy(update={"exclude": [*kept, customer_id], "draft": rewritten})


class DraftMetadata(ViewMetadata):
    """The rewrite modal's ``private_metadata``: whose email, and the review modal under it
    (its view id and its choices), to update once the text is saved."""

    too_large: ClassVar[str] = _REVIEW_TOO_LARGE

    parent_view: str
    customer_id: int
    review: ReviewMetadata


@dataclass(frozen=True, slots=True)
class RowChoice:
    """A choice in a row's menu: what to do with which recipient."""

    verb: RowVerb
    customer_id: int

    @property
    def value(self) -> str:
        return f"{self.verb}:{self.customer_id}"

    @classmethod
    def read(cls, value: str) -> RowChoice | None:
        """A menu option's value as the app wrote it (``exclude:1234``); None otherwise."""
        verb, _, customer = value.partition(":")
        number = whole_number(customer)
        if verb not in ("exclude", "include", "rewrite") or number is None:
            return None
        return cls(verb, number)  # type: ignore[arg-type]  # checked just above


def whole_number(text: str) -> int | None:
    """A whole number as the app writes one into a value (a page, a customer id); None for
    anything else, however it was forged (signs, other scripts' digits, thousands of them)."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_NUMBER_DIGITS:
        return None
    return int(text)


def pages(proposal: WinbackProposal) -> int:
    """How many pages the review of ``proposal``'s recipients has (one at least)."""
    return max(1, math.ceil(len(proposal.recipients) / PER_PAGE))


def review_modal(
    proposal: WinbackProposal, review: ReviewMetadata, *, notice: str | None = None
) -> Block:
    """The review modal on ``review.page``: the proposal's figures, what this review chose so
    far, one row per recipient with its menu, the page buttons; ``notice`` says what was wrong
    with the last thing asked (plain words)."""
    page = min(max(review.page, 0), pages(proposal) - 1)
    review = review.model_copy(update={"page": page})
    shown = proposal.recipients[page * PER_PAGE : (page + 1) * PER_PAGE]
    audience = fmt.count(len(proposal.recipients))
    intro = (
        f"*{audience} recipients* · {fmt.share(proposal.discount)} off · expected profit "
        f"{fmt.money(proposal.expected_profit)} · ROI {fmt.share(proposal.roi)}\n"
        "Exclude people or rewrite one email, then *Re-price*: the offer is priced again for "
        "who is left, and the proposal asks for approval again."
    )
    chosen = []
    if review.exclude:
        chosen.append(f"{fmt.count(len(review.exclude))} to exclude")
    if review.draft is not None:
        whose = next(
            (r for r in proposal.recipients if r.customer_id == review.draft.customer_id), None
        )
        chosen.append(f"email to {escape(whose.recipient) if whose else 'one person'} rewritten")
    blocks: list[Block] = section(intro)
    if chosen:
        blocks.append(context("This review: " + " · ".join(chosen)))
    if notice:
        blocks += section(f":warning: {escape(notice)}")
    blocks.append({"type": "divider"})
    blocks += [_row(r, review) for r in shown]
    first = page * PER_PAGE + 1
    blocks.append(
        context(
            f"Page {page + 1} of {pages(proposal)} · recipients {first}–"
            f"{first + len(shown) - 1} of {audience}"
        )
    )
    turns = []
    if page > 0:
        turns.append(button("◀ Previous", ids.REVIEW_PREVIOUS, str(page - 1)))
    if page + 1 < pages(proposal):
        turns.append(button("Next ▶", ids.REVIEW_NEXT, str(page + 1)))
    if turns:
        blocks.append({"type": "actions", "block_id": "review_pages", "elements": turns})
    return {
        "type": "modal",
        "callback_id": ids.REVIEW_MODAL,
        "private_metadata": review.dumped(),
        "title": plain(truncate("Review recipients", MAX_VIEW_TITLE)),
        "submit": plain("Re-price"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def _row(recipient: Recipient, review: ReviewMetadata) -> Block:
    name = f"*{escape(recipient.first_name)}* · {escape(recipient.recipient)}"
    line = f"{name} · {escape(recipient.segment)}"
    choices: list[RowChoice] = []
    if recipient.customer_id in review.exclude:
        line = f":no_entry_sign: ~{name}~ · _to be excluded_"
        choices.append(RowChoice("include", recipient.customer_id))
    else:
        rewritten = review.draft is not None and review.draft.customer_id == recipient.customer_id
        if rewritten or recipient.draft_edited:
            line += " · :pencil2: _email rewritten_"
        choices += [
            RowChoice("exclude", recipient.customer_id),
            RowChoice("rewrite", recipient.customer_id),
        ]
    words = {"exclude": "Exclude", "include": "Include again", "rewrite": "Rewrite the email…"}
    return {
        "type": "section",
        "block_id": f"review_row_{recipient.customer_id}",
        "text": {"type": "mrkdwn", "text": truncate(line, 3000)},
        "accessory": {
            "type": "overflow",
            "action_id": ids.REVIEW_ROW,
            "options": [
                {"text": plain(truncate(words[c.verb], MAX_OPTION_TEXT)), "value": c.value}
                for c in choices
            ],
        },
    }


def draft_modal(recipient: Recipient, email: SampleEmail, metadata: DraftMetadata) -> Block:
    """The modal rewriting one recipient's email, pre-filled with it as it would go now."""
    subject: Block = {
        "type": "plain_text_input",
        "action_id": ids.REVIEW_DRAFT_SUBJECT_INPUT,
        "max_length": MAX_SUBJECT_CHARS,
        "initial_value": truncate(email.subject, MAX_SUBJECT_CHARS),
    }
    body: Block = {
        "type": "plain_text_input",
        "action_id": ids.REVIEW_DRAFT_BODY_INPUT,
        "multiline": True,
        "max_length": MAX_DRAFT_CHARS,
        "initial_value": truncate(email.body, MAX_DRAFT_CHARS),
    }
    to = f"{escape(recipient.first_name)} · {escape(recipient.recipient)}"
    return {
        "type": "modal",
        "callback_id": ids.REVIEW_DRAFT_MODAL,
        "private_metadata": metadata.dumped(),
        "title": plain("Rewrite email"),
        "submit": plain("Keep this text"),
        "close": plain("Back"),
        "blocks": [
            *section(
                f"To {to}. Your text replaces the drafted email for this person only; "
                "*Re-price* the review to apply it."
            ),
            {
                "type": "input",
                "block_id": ids.REVIEW_DRAFT_SUBJECT_BLOCK,
                "label": plain("Subject"),
                "element": subject,
            },
            {
                "type": "input",
                "block_id": ids.REVIEW_DRAFT_BODY_BLOCK,
                "label": plain("Email"),
                "element": body,
            },
        ],
    }


def draft_submission(view: Mapping[str, Any], customer_id: int) -> DraftRewrite:
    """The subject and text typed into a submitted rewrite modal, stripped."""
    values = view.get("state", {}).get("values", {})

    def typed(block: str, element: str) -> str:
        return str((values.get(block, {}).get(element) or {}).get("value") or "").strip()

    return DraftRewrite(
        customer_id=customer_id,
        subject=typed(ids.REVIEW_DRAFT_SUBJECT_BLOCK, ids.REVIEW_DRAFT_SUBJECT_INPUT),
        body=typed(ids.REVIEW_DRAFT_BODY_BLOCK, ids.REVIEW_DRAFT_BODY_INPUT),
    )


def notice_modal(text: str) -> Block:
    """A modal saying only what went wrong (a form the app cannot read back)."""
    return {
        "type": "modal",
        "callback_id": ids.REVIEW_MODAL,
        "title": plain("Review recipients"),
        "close": plain("Close"),
        "blocks": section(f":warning: {escape(text)}"),
    }
