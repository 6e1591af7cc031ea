"""The sandbox answers the rest of the Web API a Slack script reaches for — channels and their
members, the team, the bot, people by email, scheduled messages, deleting a thread's parent — in
Slack's shapes, through the real ``slack_sdk`` clients."""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox import Workspace
from tests.e2e.conftest import APPROVER, client_for, run_async


async def error_of(call: Coroutine[Any, Any, Any]) -> str:
    try:
        await call
    except SlackApiError as error:
        assert error.response["ok"] is False
        return str(error.response["error"])
    raise AssertionError("the call succeeded")


def test_channels_are_created_joined_and_listed_with_their_members(sandbox) -> None:
    served, workspace = sandbox

    async def scenario() -> tuple[Any, ...]:
        client = client_for(served, workspace)
        created = await client.conversations_create(name="launch-2026")
        joined = await client.conversations_join(channel=created["channel"]["id"])
        members = await client.conversations_members(channel="#general")
        dm = await client.conversations_open(users=APPROVER)
        dm_members = await client.conversations_members(channel=dm["channel"]["id"])
        posted = await client.chat_postMessage(channel="#launch-2026", text="Kick-off")
        errors = [
            await error_of(client.conversations_create(name="launch-2026")),
            await error_of(client.conversations_create(name="Launch Plans")),
            await error_of(client.conversations_create(name="x" * 81)),
            await error_of(client.conversations_create(name="---")),
            await error_of(client.conversations_create(name="secret", is_private=True)),
            await error_of(client.conversations_join(channel=dm["channel"]["id"])),
            await error_of(client.conversations_members(channel="C0NOWHERE")),
        ]
        return created, joined, members, dm_members, posted, errors

    created, joined, members, dm_members, posted, errors = run_async(scenario())
    channel = created["channel"]
    assert (channel["name"], channel["is_channel"], channel["is_private"]) == (
        "launch-2026",
        True,
        False,
    )
    assert channel["id"].startswith("C") and channel["is_member"] is True
    assert joined["channel"]["id"] == channel["id"]
    assert joined["warning"] == "already_in_channel"
    assert members["members"] == [APPROVER, "U0CONTROLROOM"]
    assert members["response_metadata"] == {"next_cursor": ""}
    assert dm_members["members"] == [APPROVER, "U0CONTROLROOM"]
    assert posted["channel"] == channel["id"]
    assert errors == [
        "name_taken",
        "invalid_name_specials",
        "invalid_name_maxlength",
        "invalid_name_punctuation",
        "restricted_action",
        "method_not_supported_for_channel_type",
        "channel_not_found",
    ]


def test_two_channel_names_with_the_same_first_letters_get_two_ids(sandbox) -> None:
    served, workspace = sandbox

    async def scenario() -> list[str]:
        client = client_for(served, workspace)
        names = ["support-escalations-a", "support-escalations-b"]
        return [(await client.conversations_create(name=n))["channel"]["id"] for n in names]

    first, second = run_async(scenario())
    assert first != second


def test_the_team_the_bot_and_people_by_email_are_described_as_slack_does(sandbox) -> None:
    served, workspace = sandbox

    async def scenario() -> tuple[Any, ...]:
        client = client_for(served, workspace)
        team = await client.team_info()
        bot = await client.bots_info(bot="B0CONTROLROOM")
        person = await client.users_info(user=APPROVER)
        found = await client.users_lookupByEmail(email=person["user"]["profile"]["email"].upper())
        errors = [
            await error_of(client.users_lookupByEmail(email="nobody@two-peaks.example")),
            await error_of(client.bots_info(bot="B0SOMEONEELSE")),
        ]
        return team, bot, person, found, errors

    team, bot, person, found, errors = run_async(scenario())
    assert (team["team"]["id"], team["team"]["name"], team["team"]["domain"]) == (
        "T0TWOPEAKS",
        "Two Peaks",
        "two-peaks",
    )
    assert team["team"]["url"] == f"{served.url}/"
    assert bot["bot"] == {
        "id": "B0CONTROLROOM",
        "deleted": False,
        "name": "Control Room",
        "updated": 0,
        "app_id": "A0CONTROLROOM",
        "user_id": "U0CONTROLROOM",
        "icons": {"image_36": "", "image_48": "", "image_72": ""},
    }
    assert person["user"]["profile"]["email"] == "avery@two-peaks.example"
    assert found["user"]["id"] == APPROVER
    assert errors == ["users_not_found", "bot_not_found"]


def test_a_scheduled_message_waits_for_its_time_and_can_be_cancelled(sandbox) -> None:
    served, workspace = sandbox

    async def schedule() -> tuple[Any, ...]:
        client = client_for(served, workspace)
        soon = int(time.time()) + 2
        kept = await client.chat_scheduleMessage(channel="#general", post_at=soon, text="Soon")
        later = await client.chat_scheduleMessage(
            channel="#general", post_at=soon + 3600, text="Later"
        )
        waiting = await client.chat_scheduledMessages_list(channel="#general")
        await client.chat_deleteScheduledMessage(
            channel="#general", scheduled_message_id=later["scheduled_message_id"]
        )
        before = await client.conversations_history(channel="#general")
        errors = [
            await error_of(client.chat_scheduleMessage(channel="#general", post_at=1, text="x")),
            await error_of(
                client.chat_scheduleMessage(channel="#general", post_at=soon + 10**8, text="x")
            ),
            await error_of(
                client.chat_deleteScheduledMessage(
                    channel="#general", scheduled_message_id=later["scheduled_message_id"]
                )
            ),
        ]
        return kept, waiting, before, errors

    kept, waiting, before, errors = run_async(schedule())
    assert kept["scheduled_message_id"].startswith("Q")
    assert kept["message"]["type"] == "delayed_message"
    assert kept["message"]["text"] == "Soon"
    assert [m["text"] for m in waiting["scheduled_messages"]] == ["Soon", "Later"]
    assert before["messages"] == []
    assert errors == ["time_in_past", "time_too_far", "invalid_scheduled_message_id"]

    time.sleep(max(0.0, kept["post_at"] - time.time()) + 0.2)
    after = run_async(client_for(served, workspace).conversations_history(channel="#general"))
    assert [m["text"] for m in after["messages"]] == ["Soon"]
    assert after["messages"][0]["bot_id"] == "B0CONTROLROOM"


def test_deleting_a_thread_parent_leaves_a_placeholder_until_its_last_reply_goes(
    sandbox,
) -> None:
    served, workspace = sandbox

    async def scenario() -> tuple[Any, ...]:
        client = client_for(served, workspace)
        parent = await client.chat_postMessage(channel="#general", text="Digest")
        reply = await client.chat_postMessage(
            channel="#general", thread_ts=parent["ts"], text="Charts"
        )
        lonely = await client.chat_postMessage(channel="#general", text="No thread")
        await client.chat_delete(channel="#general", ts=parent["ts"])
        await client.chat_delete(channel="#general", ts=lonely["ts"])
        kept = await client.conversations_replies(channel="#general", ts=parent["ts"])
        again = await error_of(client.chat_delete(channel="#general", ts=parent["ts"]))
        await client.chat_delete(channel="#general", ts=reply["ts"])
        gone = await client.conversations_history(channel="#general")
        return kept, again, gone

    kept, again, gone = run_async(scenario())
    placeholder, reply = kept["messages"]
    assert placeholder["subtype"] == "tombstone"
    assert placeholder["text"] == "This message was deleted."
    assert placeholder["reply_count"] == 1
    assert reply["text"] == "Charts"
    assert again == "message_not_found"
    assert gone["messages"] == []


def test_a_person_s_message_cannot_be_deleted_with_the_bot_token(sandbox) -> None:
    served, workspace = sandbox
    general = workspace.channel("#general")["id"]
    typed = workspace.add_message(general, {"user": APPROVER, "text": "mine"})

    error = run_async(
        error_of(client_for(served, workspace).chat_delete(channel=general, ts=typed["ts"]))
    )

    assert error == "cant_delete_message"


def test_a_script_finds_the_bot_token_in_the_workspace_file_as_the_readme_says(
    sandbox, tmp_path
) -> None:
    served, _ = sandbox
    another_process = Workspace.open(tmp_path / "sandbox.db")
    token = another_process.identity.bot_token
    another_process.close()
    slack = WebClient(token=token, base_url=f"{served.url}/api/")

    posted = slack.chat_postMessage(channel="#general", text="Posted by a script :wave:")

    assert posted["ok"] and posted["message"]["bot_id"] == "B0CONTROLROOM"
