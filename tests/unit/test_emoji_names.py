"""The emoji table knows Slack's names: the ones the app writes, GitHub's short names, and
Slack's own spellings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integrations.emoji_names import emoji_table

ROOT = Path(__file__).resolve().parents[2]
EMOJI_NAME = re.compile(r":([a-z][a-z0-9_+-]*):")


def test_every_emoji_name_the_app_writes_is_shown_as_a_character() -> None:
    used = {
        name
        for package in ("bot", "workflows", "agents")
        for source in (ROOT / package).rglob("*.py")
        for name in EMOJI_NAME.findall(source.read_text(encoding="utf-8"))
    }

    assert "double_vertical_bar" in used
    assert sorted(used - emoji_table().keys()) == []


@pytest.mark.parametrize(
    ("name", "character"),
    [
        ("white_check_mark", "✅"),
        ("hourglass_flowing_sand", "⏳"),
        ("hourglass", "⌛"),
        ("+1", "👍"),
        ("large_green_circle", "🟢"),
        ("large_blue_circle", "🔵"),
        ("flag-de", "🇩🇪"),
        ("male-cook", "👨\u200d🍳"),
        ("woman-raising-hand", "🙋\u200d♀️"),
        ("skin-tone-2", "🏻"),
    ],
)
def test_slack_s_names_read_as_slack_shows_them(name: str, character: str) -> None:
    assert emoji_table()[name] == character
