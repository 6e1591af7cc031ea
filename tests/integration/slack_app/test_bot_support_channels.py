"""Per-channel support settings through the real Bolt app over signed HTTP, against a fake Slack
that names its channels: where the app answers (mentions only, or every top-level message),
each place's confidence threshold, who may ask, and a bad setting refused at start-up."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

import policies
from bot import ids
from bot.app import build_app, http_app
from bot.blocks import support as support_blocks
from bot.listeners.support_channels import CANNOT_TELL
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from policies import PolicyError
from tests.fakes.slack_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    BotServer,
    FakeSlackAPI,
    RunningBot,
    signing_secret,
    texts,
)
from tests.fakes.slack_sender import BOT_USER_ID, SlackSender
from tests.integration.slack_app.test_bot_support import (
    ASKER,
    CONFIDENT,
    ESCALATIONS,
    buttons,
    direct_message,
    mention,
    posted,
)

VIP = "U0VIPCUSTOMER"
GROUP = "S0VIPGROUP"
MEMBER = "U0VIPMEMBER"
# The channels the fake Slack knows, by ID: what conversations.info answers.
NAMES = {
    "C0HELPDESK": "customer-help",
    "C0GTM": "gtm",
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
def settings(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    folder = isolated_environment.parent / "policies"
    policies_with(folder, {"channels": CHANNELS, "direct_messages": DIRECT_MESSAGES})
    monkeypatch.setenv("CONTROLROOM_POLICIES_DIR", str(folder))
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    return Settings()


class NamingSlack(FakeSlackAPI):
    """A Slack that says a channel's name (``conversations.info``), as the app asks when the
    support policy lists a channel by name."""

    def _answer(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        if name == "conversations.info" and name not in self.failures and channel in NAMES:
            return {"ok": True, "channel": {"id": channel, "name": NAMES[channel]}}
        return super()._answer(name, args)


@pytest.fixture
def bot(services: Services, ingested_kb: Path) -> Iterator[RunningBot]:
    with NamingSlack() as api:
        api.usergroups[GROUP] = [MEMBER]
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url)
        with BotServer(http_app(build_app(services, client=client))) as server:
            yield RunningBot(
                api, SlackSender(server.url, signing_secret(services), api.response_url)
            )


def channel_message(
    text: str, ts: str, *, channel: str = "C0HELPDESK", user: str = ASKER, **extra: Any
) -> dict[str, Any]:
    """A message in a channel, as message.channels delivers it."""
    return {
        "type": "message",
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }


def thread_timestamps(bot: RunningBot) -> list[str | None]:
    return [call.args.get("thread_ts") for call in bot.api.calls_to("chat.postMessage")]


def test_a_plain_message_in_an_all_messages_channel_named_by_name_is_answered_in_its_thread(
    bot: RunningBot, services: Services
) -> None:
    assert bot.slack.event(channel_message(CONFIDENT, "1764100100.000100")).status_code == 200
    [answer] = posted(bot, "C0HELPDESK", "1764100100.000100")
    assert "Forgot password?" in texts(answer.args["blocks"])
    assert ids.SUPPORT_HELPFUL in buttons(answer.args["blocks"])
    [asked] = bot.api.calls_to("conversations.info")
    assert asked.args["channel"] == "C0HELPDESK"
    [run] = services.state.recent_runs()
    assert (run.workflow, run.started_by) == ("support", ASKER)


def test_a_plain_message_in_a_mention_only_channel_is_not_answered(
    bot: RunningBot, services: Services
) -> None:
    bot.slack.event(channel_message(CONFIDENT, "1764100200.000100", channel="C0GTM"))
    bot.slack.event(mention(CONFIDENT, "1764100200.000200", channel="C0GTM"))
    posted(bot, "C0GTM", "1764100200.000200")
    assert thread_timestamps(bot) == ["1764100200.000200"]
    assert len(services.state.recent_runs()) == 1


def test_in_an_all_messages_channel_replies_bots_edits_and_mentions_are_not_new_questions(
    bot: RunningBot,
) -> None:
    reply = channel_message(CONFIDENT, "1764100300.000200", thread_ts="1764100300.000100")
    own = channel_message("Forgot password?", "1764100300.000300", user=BOT_USER_ID)
    other_bot = channel_message(CONFIDENT, "1764100300.000400", bot_id="B0OTHER")
    edited = channel_message(CONFIDENT, "1764100300.000500", subtype="message_changed")
    # A mention comes twice, as a message and as app_mention: answered once.
    mentioned = channel_message(f"<@{BOT_USER_ID}> {CONFIDENT}", "1764100300.000600")
    for event in (reply, own, other_bot, edited, mentioned):
        assert bot.slack.event(event).status_code == 200
    bot.slack.event(mention(CONFIDENT, "1764100300.000600", channel="C0HELPDESK"))
    posted(bot, "C0HELPDESK", "1764100300.000600")
    assert thread_timestamps(bot) == ["1764100300.000600"]


def test_a_channel_with_a_higher_threshold_sends_to_a_person_what_the_default_channel_answers(
    bot: RunningBot, services: Services
) -> None:
    bot.slack.event(mention(CONFIDENT, "1764100400.000100", channel="C0GTM"))
    [answered] = posted(bot, "C0GTM", "1764100400.000100")
    assert ids.SUPPORT_HELPFUL in buttons(answered.args["blocks"])
    bot.slack.event(mention(CONFIDENT, "1764100400.000200", channel="C0REVIEWED"))
    [escalation] = posted(bot, ESCALATIONS, None)
    assert CONFIDENT in texts(escalation.args["blocks"])
    [told] = posted(bot, "C0REVIEWED", "1764100400.000200")
    assert told.args["text"] == support_blocks.ESCALATED
    approval = services.state.get_approval(buttons(escalation.args["blocks"])[ids.APPROVE])
    assert approval.status == "pending"
    assert any("below 1.00" in reason for reason in approval.summary["reasons"])


def test_direct_messages_follow_their_own_settings(bot: RunningBot) -> None:
    bot.slack.event(direct_message(CONFIDENT, "1764100500.000100"))
    [escalation] = posted(bot, ESCALATIONS, None)
    assert CONFIDENT in texts(escalation.args["blocks"])
    [told] = posted(bot, "D0CUSTOMER", None)  # asked at the top level: told inline
    assert told.args["text"] == support_blocks.ESCALATED_HERE


def test_someone_not_among_a_channels_askers_is_told_privately_whom_it_is_for_and_not_answered(
    bot: RunningBot, services: Services
) -> None:
    bot.slack.event(mention(CONFIDENT, "1764100600.000100", channel="C0VIPDESK"))
    [told] = bot.api.wait_for("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"]) == ("C0VIPDESK", ASKER)
    assert told.args["text"] == (
        f"Support answers here are for <@{VIP}> and members of <!subteam^{GROUP}>."
    )
    assert "thread_ts" not in told.args  # asked in the channel: told there
    for user, ts in ((VIP, "1764100600.000200"), (MEMBER, "1764100600.000300")):
        bot.slack.event(mention(CONFIDENT, ts, channel="C0VIPDESK", user=user))
        [answer] = posted(bot, "C0VIPDESK", ts)
        assert ids.SUPPORT_HELPFUL in buttons(answer.args["blocks"])
    assert thread_timestamps(bot) == ["1764100600.000200", "1764100600.000300"]
    assert sorted(run.started_by for run in services.state.recent_runs()) == sorted([VIP, MEMBER])
    assert len(bot.api.calls_to("chat.postEphemeral")) == 1


def test_when_slack_cannot_name_a_channel_nothing_is_answered_there_and_a_mention_is_told(
    bot: RunningBot, services: Services
) -> None:
    bot.api.failures["conversations.info"] = "missing_scope"
    bot.slack.event(channel_message(CONFIDENT, "1764100700.000100"))
    bot.slack.event(mention(CONFIDENT, "1764100700.000200", channel="C0GTM"))
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
