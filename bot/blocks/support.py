"""Support answers in Slack: the answer in the asker's thread with Helpful / Not helpful, what
the asker is told when a person answers instead, and that person's answer or ticket.

The escalation itself (the question, the draft, Approve / Reject / Edit) is an approval like any
other: ``bot.blocks.approvals`` builds it. An approver's reply in its thread is offered back
with "Send this reply to the customer" (``relay_offer_blocks``), the reply carried in the
button's value (``ProposedReply``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from agents import formatting as fmt
from bot import ids
from bot.blocks.kit import (
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    Block,
    button,
    confirm_dialog,
    context,
    escape,
    escape_keeping_quotes,
    fit,
    link,
    section,
    truncate,
    user_mention,
)
from integrations.tickets import ThreadTickets
from workflows.proposals import TicketResult

# A question shown back in a message; the full text stays in the run and the approval.
MAX_QUESTION_CHARS = 1_000

_ASKED_A_PERSON = (
    "I'm not sure enough to answer this one myself, so I've asked a person from the team: "
    "their answer will be posted"
)
ESCALATED = f"{_ASKED_A_PERSON} in this thread."
# Said inline, in a direct message asked at the top level: the answer follows it there.
ESCALATED_HERE = f"{_ASKED_A_PERSON} here."
HINT = (
    "Ask me a question after the mention, e.g. _@controlroom do gift cards expire?_ — "
    "I answer from the help centre, or ask a person when I'm not sure."
)
NOT_IN_CHANNEL = (
    "I'm not a member of this channel, so this answer has no thread: "
    "invite me with `/invite @controlroom` to get answers in threads here."
)
FEEDBACK_BLOCK = "support_feedback"
# What the workflow's outcome calls a ticket kept in the escalation's own thread.
THREAD_TICKET = ThreadTickets.name
# The block holding "Send this reply to the customer" (``ids.SUPPORT_RELAY_REPLY``).
RELAY_BLOCK = "support_relay"


def answer_blocks(
    run_id: str, text: str, *, confidence: float | None, sources: Sequence[str]
) -> list[Block]:
    """The Support agent's answer for the asker's thread: the text, its sources and confidence,
    and the feedback buttons."""
    blocks = section(escape_keeping_quotes(text))
    blocks.append(context(_about(confidence, sources, run_id)))
    return with_feedback(blocks, run_id)


def feedback_actions(run_id: str) -> Block:
    """Helpful / Not helpful, carrying the run id of the answer."""
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            button("Helpful", ids.SUPPORT_HELPFUL, run_id),
            button("Not helpful", ids.SUPPORT_NOT_HELPFUL, run_id),
        ],
    }


def with_feedback(blocks: Sequence[Block], run_id: str, *, note: str | None = None) -> list[Block]:
    """``blocks`` (e.g. the supervisor's answer), then ``note`` as a context line, then the
    feedback buttons: these last two are never cut off by Slack's block limit."""
    extra = [context(note)] if note else []
    return [*fit(blocks, MAX_BLOCKS - 1 - len(extra)), *extra, feedback_actions(run_id)]


def feedback_given_blocks(blocks: Sequence[Block], user: str, *, helpful: bool) -> list[Block]:
    """The answer after feedback: the buttons replaced by a thank-you naming who clicked."""
    kept = [block for block in blocks if block.get("block_id") != FEEDBACK_BLOCK]
    verdict = "helpful" if helpful else "not helpful"
    return fit([*kept, context(f"Thanks — marked {verdict} by {user_mention(user)}")])


def escalated_text(*, inline: bool = False) -> str:
    """What the asker is told when their question went to a person: in their thread, or
    ``inline`` where they asked."""
    return ESCALATED_HERE if inline else ESCALATED


def escalated_notice_blocks(*, inline: bool = False) -> list[Block]:
    """``escalated_text`` as a message."""
    return section(f":raising_hand: {escalated_text(inline=inline)}")


def escalated_direct_blocks(question: str) -> list[Block]:
    """The direct message that becomes the thread for a person's answer, when the question was
    asked where the bot cannot post."""
    asked = escape(truncate(question, MAX_QUESTION_CHARS))
    return section(f":raising_hand: You asked: _{asked}_\n{ESCALATED}")


def hint_blocks() -> list[Block]:
    """A mention with no question in it."""
    return section(HINT)


def escalation_thread_text(asker: str, asked_in: str) -> str:
    """The first reply in the escalation's thread: who waits where, what each button does."""
    return (
        f"{user_mention(asker)} is waiting for an answer in {_place(asked_in)}. *Approve* sends "
        "the draft as it is, *Edit* lets you rewrite it first — either way it is posted where "
        "they asked and added to the knowledge base. *Reject* opens a ticket instead. "
        "An approver may also answer here in the thread: I offer to send that reply as it is."
    )


@dataclass(frozen=True, slots=True)
class ProposedReply:
    """An approver's reply in an escalation's thread, as plain text (no Slack markup), offered
    as the answer of the paused run ``run_id``."""

    run_id: str
    text: str

    @property
    def value(self) -> str:
        """The relay button's value: the run and the text, so the click sends what was shown."""
        return json.dumps(
            {"run_id": self.run_id, "text": self.text}, ensure_ascii=False, separators=(",", ":")
        )

    @property
    def fits_button(self) -> bool:
        """Whether Slack's button can carry it (2,000 characters, the run id included)."""
        return len(self.value) <= MAX_BUTTON_VALUE

    @classmethod
    def from_value(cls, value: str) -> ProposedReply:
        """Read a relay button's value; ``ValueError`` when it is not one this app built."""
        try:
            read = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError("not a relayed reply") from error
        if not isinstance(read, dict):
            raise ValueError("not a relayed reply")
        run_id, text = read.get("run_id"), read.get("text")
        if not isinstance(run_id, str) or not isinstance(text, str) or not text.strip():
            raise ValueError("not a relayed reply")
        return cls(run_id, text)


def relay_offer_blocks(reply: ProposedReply, author: str) -> list[Block]:
    """Under an approver's reply: the words that will be sent, quoted, and the button sending
    them (behind a confirm dialog: sent is sent)."""
    quoted = "\n".join(f">{line}" for line in escape(reply.text).splitlines())
    confirm = confirm_dialog(
        "Send this reply?",
        "The asker gets it where they asked, and it is added to the knowledge base.",
        yes="Send it",
    )
    relay = button(
        "Send this reply to the customer",
        ids.SUPPORT_RELAY_REPLY,
        reply.value,
        style="primary",
        confirm=confirm,
    )
    blocks = section(f"*Proposed answer from {user_mention(author)}:*\n{quoted}")
    return [
        *fit(blocks, MAX_BLOCKS - 1),
        {"type": "actions", "block_id": RELAY_BLOCK, "elements": [relay]},
    ]


def relay_offer_text(author: str) -> str:
    return f"Send {user_mention(author)}'s reply to the customer?"


def relay_too_long_text(author: str) -> str:
    """Told in the thread when a reply is longer than a button can carry."""
    return (
        f"{user_mention(author)}, this reply is too long for me to send with a button (Slack "
        f"carries up to {MAX_BUTTON_VALUE:,} characters in one): shorten it, or use *Edit* on "
        "the question."
    )


def relayed_blocks(shown: Sequence[Block], sender: str) -> list[Block]:
    """The offer once sent: the quoted reply kept, the button replaced by who sent it."""
    kept = [block for block in shown if block.get("block_id") != RELAY_BLOCK]
    return fit(
        [*kept, context(f":white_check_mark: Sent to the customer by {user_mention(sender)}")]
    )


def relayed_text(sender: str) -> str:
    return f"Reply sent to the customer by {user_mention(sender)}"


def human_answer_blocks(
    run_id: str, text: str, reviewer: str, *, sources: Sequence[str] = ()
) -> list[Block]:
    """A person's answer, posted back in the asker's thread."""
    blocks = section(f"*Answer from {user_mention(reviewer)}:*\n{escape_keeping_quotes(text)}")
    if sources:
        blocks.append(context("Sources: " + ", ".join(link(url) for url in sources)))
    return with_feedback(blocks, run_id)


def human_answer_text(text: str, reviewer: str) -> str:
    return truncate(f"Answer from {reviewer}: {text}", 3_000)


def ticket_text(result: TicketResult) -> str:
    """What the asker is told when a person opened a ticket instead of answering (mrkdwn)."""
    url = result.url
    opened = f"a ticket ({link(url)})" if url else "a ticket with the support team"
    return (
        f"A person from the team looked at your question and opened {opened}: "
        "someone will follow up with you."
    )


def ticket_blocks(result: TicketResult) -> list[Block]:
    return section(f":ticket: {ticket_text(result)}")


def ticket_thread_text(asker: str) -> str:
    """Told in the escalation's thread when it became the ticket itself."""
    return (
        f"This thread is the ticket for {user_mention(asker)}'s question (no ticket system is "
        "configured): follow up with them here or where they asked."
    )


def _about(confidence: float | None, sources: Sequence[str], run_id: str) -> str:
    parts = []
    if confidence is not None:
        parts.append(f"Confidence {_share(confidence)}")
    if sources:
        parts.append("Sources: " + ", ".join(link(url) for url in sources))
    parts.append(f"run `{run_id[:8]}`")
    return " · ".join(parts)


def _share(value: object) -> str:
    return fmt.share(float(value)) if isinstance(value, int | float) else "—"


def _place(channel: str) -> str:
    """Where a question was asked, as Slack shows it."""
    if channel[:1] == "D":
        return "a direct message"
    if channel[:1] in "CG" and channel.isalnum():
        return f"<#{channel}>"
    return escape(channel)
