"""Per-channel support settings through the real Bolt app over signed HTTP, against the
sandbox's Slack, which names its channels: where the app answers (mentions only, or every
top-level message), each place's confidence threshold, who may ask, and a bad setting refused
at start-up."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import policies
from bot import ids
from bot.blocks import support as support_blocks
from bot.listeners.support_channels import CANNOT_TELL
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from policies import PolicyError
from sandbox import Person, Workspace
from tests.integration.slack_app._support import (
    ASKER,
    ASKER_DM,
    CONFIDENT,
    ESCALATIONS,
    asked,
    buttons,
    direct_message,
    mention,
    posted,
)
from tests.slack_sandbox import RunningBot, running_bot, slack_environment, texts

VIP = "U0VIPCUSTOMER"
GROUP = "S0VIPGROUP"
MEMBER = "U0VIPMEMBER"
# The channels the sandbox's workspace adds, by ID: what conversations.info names.
NAMES = {
    "C0HELPDESK": "customer-help",
    "C0REVIEWED": "reviewed",
    "C0VIPDESK": "vip",
}
CHANNELS = {
    "#customer-help": {"respond_to": "all_messages"},
    "C0REVIEWED": {"confidence_threshold": 1.0},
    "C0VIPDESK": {"asker_user_ids": [VIP], "asker_usergroup": GROUP},
}
DIRECT_MESSAGES = {"confidence_threshold": 1.0}


def policies_with(folder: Path, support: dict[str, Any]) -> Path:
    """A copy of the shipped policies in ``folder`` with ``support`` set in support.yaml."""
    shutil.copytree(Path(policies.__file__).parent, folder, ignore=shutil.ignore_patterns("*.py"))
    path = folder / "support.yaml"
    path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text()) | support))
    return path


@pytest.fixture
def workspace(workspace: Workspace) -> Workspace:
    """The tests' workspace with the support channels, the VIP customer and the VIP group."""
    for channel_id, name in NAMES.items():
        workspace.add_channel(name, channel_id)
    workspace.add_person(Person(VIP, "vic", "Vic Vip", "may ask in #vip"))
    workspace.add_person(Person(MEMBER, "mel", "Mel Member", "in the VIP group"))
    workspace.add_usergroup(GROUP, "vip", [MEMBER])
    return workspace


@pytest.fixture
def settings(
    isolated_environment: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    folder = isolated_environment.parent / "policies"
    policies_with(folder, {"channels": CHANNELS, "direct_messages": DIRECT_MESSAGES})
    monkeypatch.setenv("CONTROLROOM_POLICIES_DIR", str(folder))
    for name, value in slack_environment(workspace).items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def bot(services: Services, workspace: Workspace, ingested_kb: Path) -> Iterator[RunningBot]:
    with running_bot(services, workspace) as running:
        yield running


def channel_message(
    bot: RunningBot,
    text: str,
    *,
    channel: str = "C0HELPDESK",
    user: str = ASKER,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A message in a channel: the event message.channels delivers."""
    return bot.slack.message(text, user_id=user, channel=channel, thread_ts=thread_ts)


def thread_timestamps(bot: RunningBot) -> list[str | None]:
    return [call.args.get("thread_ts") for call in bot.api.calls_to("chat.postMessage")]


def test_a_plain_message_in_an_all_messages_channel_named_by_name_is_answered_in_its_thread(
    bot: RunningBot, services: Services
) -> None:
    ts = asked(bot, channel_message(bot, CONFIDENT))
    [answer] = posted(bot, "C0HELPDESK", ts)
    assert "Forgot password?" in texts(answer.args["blocks"])
    assert ids.SUPPORT_HELPFUL in buttons(answer.args["blocks"])
    [named] = bot.api.calls_to("conversations.info")
    assert named.args["channel"] == "C0HELPDESK"
    [run] = services.state.recent_runs()
    assert (run.workflow, run.started_by) == ("support", ASKER)


def test_a_plain_message_in_a_mention_only_channel_is_not_answered(
    bot: RunningBot, services: Services
) -> None:
    asked(bot, channel_message(bot, CONFIDENT, channel="C0GTM"))
    ts = asked(bot, mention(bot, CONFIDENT, channel="C0GTM"))
    posted(bot, "C0GTM", ts)
    assert thread_timestamps(bot) == [ts]
    assert len(services.state.recent_runs()) == 1


def test_in_an_all_messages_channel_replies_bots_edits_and_mentions_are_not_new_questions(
    bot: RunningBot,
) -> None:
    parent = channel_message(bot, "hello")["ts"]  # its event long dealt with
    reply = channel_message(bot, CONFIDENT, thread_ts=parent)
    own = channel_message(bot, "Forgot password?") | {"user": bot.workspace.identity.bot_user_id}
    other_bot = channel_message(bot, CONFIDENT) | {"bot_id": "B0OTHER"}
    edited = channel_message(bot, CONFIDENT) | {"subtype": "message_changed"}
    # A mention comes twice, as a message and as app_mention: answered once.
    mentioned = mention(bot, CONFIDENT, channel="C0HELPDESK")
    as_message = mentioned | {"type": "message", "channel_type": "channel"}
    for event in (reply, own, other_bot, edited, as_message):
        asked(bot, event)
    ts = asked(bot, mentioned)
    posted(bot, "C0HELPDESK", ts)
    assert thread_timestamps(bot) == [ts]


def test_a_channel_with_a_higher_threshold_sends_to_a_person_what_the_default_channel_answers(
    bot: RunningBot, services: Services
) -> None:
    ts = asked(bot, mention(bot, CONFIDENT, channel="C0GTM"))
    [answered] = posted(bot, "C0GTM", ts)
    assert ids.SUPPORT_HELPFUL in buttons(answered.args["blocks"])
    reviewed_ts = asked(bot, mention(bot, CONFIDENT, channel="C0REVIEWED"))
    [escalation] = posted(bot, ESCALATIONS, None)
    assert CONFIDENT in texts(escalation.args["blocks"])
    [told] = posted(bot, "C0REVIEWED", reviewed_ts)
    assert told.args["text"] == support_blocks.ESCALATED
    approval = services.state.get_approval(buttons(escalation.args["blocks"])[ids.APPROVE])
    assert approval.status == "pending"
    assert any("below 1.00" in reason for reason in approval.summary["reasons"])


def test_direct_messages_follow_their_own_settings(bot: RunningBot) -> None:
    asked(bot, direct_message(bot, CONFIDENT))
    [escalation] = posted(bot, ESCALATIONS, None)
    assert CONFIDENT in texts(escalation.args["blocks"])
    [told] = posted(bot, ASKER_DM, None)  # asked at the top level: told inline
    assert told.args["text"] == support_blocks.ESCALATED_HERE


def test_someone_not_among_a_channels_askers_is_told_privately_whom_it_is_for_and_not_answered(
    bot: RunningBot, services: Services
) -> None:
    asked(bot, mention(bot, CONFIDENT, channel="C0VIPDESK"))
    [told] = bot.api.wait_for("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"]) == ("C0VIPDESK", ASKER)
    assert told.args["text"] == (
        f"Support answers here are for <@{VIP}> and members of <!subteam^{GROUP}>."
    )
    assert "thread_ts" not in told.args  # asked in the channel: told there
    answered = []
    for user in (VIP, MEMBER):
        answered.append(ts := asked(bot, mention(bot, CONFIDENT, channel="C0VIPDESK", user=user)))
        [answer] = posted(bot, "C0VIPDESK", ts)
        assert ids.SUPPORT_HELPFUL in buttons(answer.args["blocks"])
    assert thread_timestamps(bot) == answered
    assert sorted(run.started_by for run in services.state.recent_runs()) == sorted([VIP, MEMBER])
    assert len(bot.api.calls_to("chat.postEphemeral")) == 1


def test_when_slack_cannot_name_a_channel_nothing_is_answered_there_and_a_mention_is_told(
    bot: RunningBot, services: Services
) -> None:
    bot.api.fail("conversations.info", "missing_scope")
    asked(bot, channel_message(bot, CONFIDENT))
    asked(bot, mention(bot, CONFIDENT, channel="C0GTM"))
    [told] = bot.api.wait_for("chat.postEphemeral")
    assert (told.args["channel"], told.args["text"]) == ("C0GTM", CANNOT_TELL)
    assert bot.api.calls_to("chat.postMessage") == []
    assert services.state.recent_runs() == []


def test_a_bad_channel_setting_stops_start_up_naming_the_file_the_channel_and_the_key(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = isolated_environment.parent / "policies"
    path = policies_with(folder, {"channels": {"#customer-help": {"respond_to": "everyone"}}})
    monkeypatch.setenv("CONTROLROOM_POLICIES_DIR", str(folder))
    with pytest.raises(PolicyError) as refused:
        build_services(Settings())
    assert str(refused.value) == (
        f"{path}: key 'channels.#customer-help.respond_to' = 'everyone': expected input should "
        "be 'mention_only' or 'all_messages'"
    )
