"""Long messages: what to look up in them, and how confident their answer may be.

People put the question last, after a story or a forwarded thread. ``focus`` looks up a long
message's last sentence; ``long_message_caps`` holds its confidence below what each of its
endings that a question fits in (its last sentence, its last two, …: ``endings``) would get
asked alone, so a story told before a question never makes its answer more confident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# A message longer than this is answered from its last sentence, with its confidence discounted.
LONG_MESSAGE_CHARS = 400
LONG_MESSAGE_DISCOUNT = 0.85
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


def endings(message: str) -> list[str]:
    """The message's last sentence (cut to ``LONG_MESSAGE_CHARS``: ``focus``), its last two,
    three, … while they fit in ``LONG_MESSAGE_CHARS``: where its question may start."""
    sentences = [s.strip() for s in _SENTENCES.split(message.strip()) if s.strip()]
    if not sentences:
        return [message]
    found = [sentences[-1][-LONG_MESSAGE_CHARS:]]
    for start in range(len(sentences) - 2, -1, -1):
        ending = " ".join(sentences[start:])
        if len(ending) > LONG_MESSAGE_CHARS:
            break
        found.append(ending)
    return found


def focus(message: str) -> str:
    """What to look up for ``message``: itself, or for a long message (a story, a forwarded
    thread) its last sentence, where people put the question. A long message's confidence is
    capped (``long_message_caps``): the rest of it may change the question, so it is never
    answered more confidently than its question asked alone."""
    if len(message) <= LONG_MESSAGE_CHARS:
        return message
    return endings(message)[0]


def long_message_caps(
    messages: Sequence[str], probability: Callable[[Sequence[str]], list[float]]
) -> list[float]:
    """The most confidence each message may get (1 for one that is not long): the discount
    times the lowest ``probability`` of the whole message and of each of its endings."""
    asked = [
        (i, text)
        for i, message in enumerate(messages)
        if len(message) > LONG_MESSAGE_CHARS
        for text in (message, *endings(message))
    ]
    caps = [1.0] * len(messages)
    if asked:
        for (i, _), p in zip(asked, probability([text for _, text in asked]), strict=True):
            caps[i] = min(caps[i], LONG_MESSAGE_DISCOUNT * p)
    return caps
