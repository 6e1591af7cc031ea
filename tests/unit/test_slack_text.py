"""Slack's markup read back as the words a person sees (``integrations.text.plain_text``): what a
support question and an approver's reply are taken as."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from integrations.text import EMOJI_NAME, escape_mrkdwn, plain_text

NAMED_EMOJI = re.compile(rf":{EMOJI_NAME.pattern}:")


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("<!channel> <!here|here> <!everyone>", "@channel @here @everyone"),
        ("ask <@U0AVERY> or <@U0SAM|sam> in <#C0HELP|help>", "ask @U0AVERY or @sam in #help"),
        ("<!subteam^S0SUPPORT|@support> on <!date^1764000000^{date}|Nov 24>", "@support on Nov 24"),
        (
            "<https://twopeaks.example> and <mailto:help@twopeaks.example|help@twopeaks.example>",
            "https://twopeaks.example and help@twopeaks.example",
        ),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2, &amp;lt; stays", "1 < 2 && 3 > 2, &lt; stays"),
        ("empty <> and <|> markup", "empty  and  markup"),
        ("hey :wave::skin-tone-3: thanks :pray: :partyparrot:", "hey 👋🏼 thanks 🙏 :partyparrot:"),
    ],
)
def test_slack_markup_is_spelt_out_as_plain_words(slack: str, plain: str) -> None:
    assert plain_text(slack) == plain


@given(st.text())
def test_typed_text_comes_back_as_typed(typed: str) -> None:
    # Slack sends what a person typed with & < > escaped: those are all its markup can hold
    # (and emoji names, which it shows as the emoji: above).
    assume(not NAMED_EMOJI.search(typed))
    assert plain_text(escape_mrkdwn(typed)) == typed


@given(st.text())
def test_plain_text_holds_no_slack_markup_once_escaped(slack: str) -> None:
    assert not re.search(r"<[@#!]", escape_mrkdwn(plain_text(slack)))
