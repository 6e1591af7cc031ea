"""``/controlroom`` text over the command's bound is refused in one short line, through the real
Bolt app over signed HTTP; no ack or message quotes back more than a few words of what was
typed, however long it was."""

from __future__ import annotations

import json

import pytest

from bot.listeners.commands import MAX_COMMAND_TEXT, MAX_QUOTED, parse_command
from tests.slack_sandbox import RunningBot

FILLER = "ж"  # a letter no help text has: each one in a reply is quoted from the person


def quoted(reply_json: dict[str, object]) -> int:
    """How many of the person's letters the reply quotes back."""
    return json.dumps(reply_json, ensure_ascii=False).count(FILLER)


def test_a_two_megabyte_command_is_refused_without_being_quoted(bot: RunningBot) -> None:
    reply = bot.slack.command("ask " + FILLER * 1_000_000)  # 2 MB of UTF-8
    assert reply.status_code == 200
    assert len(reply.content) < 3_000
    body = reply.json()
    assert quoted(body) == 0
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert f"{MAX_COMMAND_TEXT:,} characters" in body["text"]
    assert posted(bot) == []  # nothing ran, nothing was posted


def posted(bot: RunningBot) -> list[str]:
    """The Web API methods the app called, but Bolt's own ``auth.test``."""
    return [call.method for call in bot.api.calls if call.method != "auth.test"]


# Each within the bound, each a mistake whose message quotes the person's words.
LONG = FILLER * (MAX_COMMAND_TEXT - 40)
QUOTING_MISTAKES = {
    "one long unknown word": LONG,
    "arguments to a subcommand that takes none": "gtm " + LONG,
    "a long --days value": "winback --days " + LONG,
    "a long --as-of value": "winback --as-of " + LONG,
    "a long option": "winback --" + LONG,
    "a long segment": "winback " + " ".join([FILLER * 9] * 390),
    "text just over the bound": FILLER * (MAX_COMMAND_TEXT + 1),
}


@pytest.mark.parametrize("text", QUOTING_MISTAKES.values(), ids=list(QUOTING_MISTAKES))
def test_a_mistake_in_a_long_command_quotes_at_most_a_few_words_of_it(
    bot: RunningBot, text: str
) -> None:
    assert len(text) <= MAX_COMMAND_TEXT + 1
    reply = bot.slack.command(text)
    assert reply.status_code == 200
    assert len(reply.content) < 3_000
    assert quoted(reply.json()) <= 2 * MAX_QUOTED  # in the fallback text and in the blocks
    assert posted(bot) == []


def test_text_at_the_bound_is_read_as_usual() -> None:
    question = "who churned " + "a" * (MAX_COMMAND_TEXT - len("who churned "))
    assert len(question) == MAX_COMMAND_TEXT
    request = parse_command(question)
    assert (request.kind, request.question) == ("ask", question)
