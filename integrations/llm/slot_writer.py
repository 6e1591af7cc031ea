"""Asking a model for slot text: the rules and the slots in the prompt, one re-ask listing what
was refused, then the caller's offline slot text.

Shared by the backends' ``write_slots``: a backend passes its one-request primitive (``Ask``),
this module owns the conversation. Only a text that breaks the slot rules is re-asked, since the
problems can be listed back to the model; no reply at all (the server down, a timeout) or a reply
that is not prose (JSON, empty, cut at ``max_tokens``) goes to the offline text at once, the
backend having already retried what was worth retrying.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from integrations.llm.errors import LanguageModelError, LanguageModelUnavailable
from integrations.llm.meter import CostMeter, FallbackKind
from integrations.llm.protocol import Written
from integrations.llm.slots import (
    Fact,
    RefusedText,
    SlotText,
    check_slot_text,
    render_fact,
    render_slot_text,
)
from policies.schema import AgentName

logger = logging.getLogger(__name__)

# (system, prompt) -> the reply's prose; raises LanguageModelError when there is none.
Ask = Callable[[str, str], str]

# The first ask and one re-ask with the problems listed.
MAX_ASKS = 2
REFUSED_TWICE = "the model's text broke the slot rules twice"


def slot_rules(facts: Sequence[Fact]) -> str:
    """The rules added to the system message, with a real slot as the example."""
    example = facts[0].name if facts else "revenue"
    return (
        "How to write figures: never write one yourself. Write no digits, no number words (one, "
        "twelve, thousand, half, twice, double, ...), no % or currency signs and no ×. Where a "
        "figure, a date, a period or a comparison belongs, write its slot in braces exactly as "
        f"listed, for example {{{example}}}; code puts in the figure with its unit and sign, so "
        "write no unit or sign next to a slot. Use a slot only for what its description says. "
        "Write no Slack mentions or links."
    )


def slot_prompt(prompt: str, facts: Sequence[Fact]) -> str:
    """``prompt`` and the list of slots: name, what it is, and its value (so the words fit it:
    "rose" or "fell"), with the reminder to write the slot, not the value."""
    lines = [
        f"- {{{fact.name}}}: {fact.label or fact.name.replace('_', ' ')} ({fact.unit}), "
        f"now {render_fact(fact)}"
        for fact in facts
    ]
    listed = "\n".join(lines) if lines else "(none: write without figures)"
    return (
        f"{prompt}\n\nSlots you may use (the value is shown so your words fit it; write the "
        f"slot, never the value):\n{listed}"
    )


def reask_prompt(prompt: str, refused: RefusedText) -> str:
    """The same request again, with the refused text and why it was refused."""
    problems = "\n".join(f"- {problem.message}" for problem in refused.problems)
    return (
        f'{prompt}\n\nYour previous text was refused:\n"""\n{refused.text}\n"""\n'
        f"Why:\n{problems}\nWrite it again: every figure a slot from the list, no number of "
        "your own."
    )


def write_with_slots(
    ask: Ask,
    agent: AgentName,
    system: str,
    prompt: str,
    facts: Sequence[Fact],
    *,
    offline: SlotText,
    meter: CostMeter,
    mrkdwn: bool = True,
) -> Written:
    """The model's slot text rendered over ``facts`` (as mrkdwn, or plain text), asked at most
    ``MAX_ASKS`` times, else ``offline`` rendered; each fallback is noted on ``meter``.

    ``offline`` is rendered first, so a wrong template raises ``SlotTextError`` whatever the
    model does.
    """
    offline_text = render_slot_text(offline, facts, mrkdwn=mrkdwn)
    rules = f"{system}\n\n{slot_rules(facts)}"
    asked = slot_prompt(prompt, facts)
    refused: list[RefusedText] = []
    while len(refused) < MAX_ASKS:
        request = reask_prompt(asked, refused[-1]) if refused else asked
        try:
            reply = ask(rules, request).strip()
        except LanguageModelError as error:
            logger.warning("%s: %s; using the offline slot text", agent, error)
            down = isinstance(error, LanguageModelUnavailable)
            kind: FallbackKind = "unavailable" if down else "refused"
            meter.record_fallback(agent, kind, str(error))
            return Written(
                text=offline_text, source="offline", reason=str(error), refused=tuple(refused)
            )
        problems = check_slot_text(reply, facts)
        if not problems:
            return Written(
                text=render_slot_text(reply, facts, mrkdwn=mrkdwn),
                source="model",
                refused=tuple(refused),
            )
        logger.info("%s: slot text refused (%s)", agent, "; ".join(p.message for p in problems))
        refused.append(RefusedText(text=reply, problems=tuple(problems)))
    meter.record_fallback(agent, "refused", REFUSED_TWICE)
    return Written(
        text=offline_text, source="offline", reason=REFUSED_TWICE, refused=tuple(refused)
    )
