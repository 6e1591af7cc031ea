"""The sandbox's Web API answers the real ``slack_sdk`` client, in Slack's shapes and errors."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import requests
from slack_sdk.errors import SlackApiError

from tests.e2e.conftest import APPROVER, client_for, run_async


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid PNG of ``width`` × ``height`` white pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_slack_client_posts_updates_threads_and_reads_back_messages(sandbox) -> None:
    served, workspace = sandbox

    async def scenario() -> tuple[Any, ...]:
        client = client_for(served, workspace)
        me = await client.auth_test()
        posted = await client.chat_postMessage(
            channel="#gtm-digest",
            text="Weekly GTM digest: working…",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Marketing …"}}],
        )
        await client.chat_update(
            channel=posted["channel"],
            ts=posted["ts"],
            text="Weekly GTM digest",
            blocks=[{"type": "header", "text": {"type": "plain_text", "text": "Weekly GTM"}}],
        )
        reply = await client.chat_postMessage(
            channel=posted["channel"], thread_ts=posted["ts"], text="Charts below"
        )
        history = await client.conversations_history(channel=posted["channel"])
        thread = await client.conversations_replies(channel=posted["channel"], ts=posted["ts"])
        link = await client.chat_getPermalink(channel=posted["channel"], message_ts=reply["ts"])
        return me, posted, history, thread, link

    me, posted, history, thread, link = run_async(scenario())
    assert (me["user_id"], me["bot_id"]) == ("U0CONTROLROOM", "B0CONTROLROOM")
    assert posted["channel"] == workspace.channel("#gtm-digest")["id"]
    (top,) = history["messages"]
    assert top["ts"] == posted["ts"]
    assert top["text"] == "Weekly GTM digest"
    assert top["blocks"][0]["type"] == "header" and top["blocks"][0]["block_id"]
    assert top["edited"]["user"] == "U0CONTROLROOM"
    assert top["reply_count"] == 1
    assert [m["text"] for m in thread["messages"]] == ["Weekly GTM digest", "Charts below"]
    assert thread["messages"][1]["thread_ts"] == posted["ts"]
    page = requests.get(link["permalink"], timeout=10, allow_redirects=False)
    assert page.status_code == 307
    assert f"thread={posted['ts']}" in page.headers["location"]


def test_files_upload_v2_puts_a_png_in_the_thread_and_serves_its_bytes(sandbox) -> None:
    served, workspace = sandbox
    png = tiny_png()

    async def scenario() -> tuple[Any, ...]:
        client = client_for(served, workspace)
        parent = await client.chat_postMessage(channel="#gtm-digest", text="Digest")
        uploaded = await client.files_upload_v2(
            channel=parent["channel"],
            thread_ts=parent["ts"],
            content=png,
            filename="weekly_revenue.png",
            title="Weekly revenue",
        )
        thread = await client.conversations_replies(channel=parent["channel"], ts=parent["ts"])
        return parent, uploaded, thread

    parent, uploaded, thread = run_async(scenario())
    file = uploaded["file"]
    assert (file["title"], file["mimetype"], file["size"]) == (
        "Weekly revenue",
        "image/png",
        len(png),
    )
    assert (file["original_w"], file["original_h"]) == (3, 2)
    shared = thread["messages"][1]
    assert shared["thread_ts"] == parent["ts"]
    assert [f["id"] for f in shared["files"]] == [file["id"]]
    served_bytes = requests.get(file["url_private"], timeout=10)
    assert served_bytes.headers["content-type"] == "image/png"
    assert served_bytes.content == png


def test_mistakes_get_slacks_error_codes(sandbox) -> None:
    served, workspace = sandbox

    async def error_of(call: Any) -> str:
        try:
            await call
        except SlackApiError as error:
            assert error.response["ok"] is False
            return str(error.response["error"])
        raise AssertionError("the call succeeded")

    async def scenario() -> list[str]:
        client = client_for(served, workspace)
        intruder = client_for(served, workspace, token="xoxb-not-the-sandbox")
        too_many = [{"type": "divider"}] * 51
        long_text = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
        return [
            await error_of(client.chat_postMessage(channel="#nowhere", text="hi")),
            await error_of(intruder.chat_postMessage(channel="#general", text="hi")),
            await error_of(client.chat_update(channel="#general", ts="1.000001", text="x")),
            await error_of(client.chat_postMessage(channel="#general", text="x", blocks=too_many)),
            await error_of(client.chat_postMessage(channel="#general", text="x", blocks=long_text)),
            # No text and no blocks (the client would warn first; Slack refuses it).
            await error_of(client.api_call("chat.postMessage", json={"channel": "#general"})),
            await error_of(client.views_open(trigger_id="made.up", view=_modal())),
            await error_of(client.users_info(user="U0NOBODY")),
            await error_of(client.usergroups_users_list(usergroup="S0NONE")),
        ]

    assert run_async(scenario()) == [
        "channel_not_found",
        "invalid_auth",
        "message_not_found",
        "invalid_blocks",
        "invalid_blocks",
        "no_text",
        "invalid_trigger_id",
        "user_not_found",
        "no_such_subteam",
    ]


def test_the_pages_calls_with_a_bad_body_get_a_400_naming_what_is_wrong(sandbox) -> None:
    served, workspace = sandbox
    url = served.url

    def post(path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        reply = requests.post(f"{url}{path}", timeout=10, **kwargs)
        return reply.status_code, reply.json()

    # One field missing from each of the person's actions, and bodies that are not an object.
    answers = [
        post("/ui/message", json={"user": APPROVER, "channel": "CGENERAL"}),
        post("/ui/command", json={"channel": "CGENERAL", "text": "/controlroom help"}),
        post("/ui/action", json={"user": APPROVER, "block_id": "b", "action_id": "a"}),
        post("/ui/action", json={"user": APPROVER, "view_id": "V1", "action_id": "a"}),
        post("/ui/submit", json={"user": APPROVER}),
        post("/ui/close", json={"view_id": "V1"}),
        post("/ui/home", json={}),
        post("/ui/message", data=b"{not json", headers={"Content-Type": "application/json"}),
        post("/ui/message", json=[APPROVER, "CGENERAL", "hi"]),
    ]

    assert [status for status, _ in answers] == [400] * len(answers)
    assert [(answer["ok"], answer["error"]) for _, answer in answers] == [
        (False, "invalid_arguments")
    ] * 7 + [(False, "invalid_json")] * 2
    assert [answer["messages"] for _, answer in answers[:7]] == [
        ["missing field: text"],
        ["missing field: user"],
        ["missing field: channel", "missing field: message_ts"],
        ["missing field: block_id"],
        ["missing field: view_id"],
        ["missing field: user"],
        ["missing field: user"],
    ]
    # Nothing was posted by the refused calls; a whole one still goes through.
    assert workspace.history("CGENERAL") == []
    status, answer = post(
        "/ui/message", json={"user": APPROVER, "channel": "CGENERAL", "text": "hi"}
    )
    assert status == 200
    assert [m["text"] for m in workspace.history("CGENERAL")] == ["hi"]


def test_a_home_tab_published_for_someone_is_kept_and_reused(sandbox) -> None:
    served, workspace = sandbox
    view = {
        "type": "home",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Control room"}}],
    }

    async def scenario() -> tuple[Any, Any]:
        client = client_for(served, workspace)
        first = await client.views_publish(user_id="U0APPROVER", view=view)
        second = await client.views_publish(user_id="U0APPROVER", view=view)
        return first, second

    first, second = run_async(scenario())
    assert first["view"]["id"] == second["view"]["id"]
    assert first["view"]["hash"] != second["view"]["hash"]
    assert workspace.home_view("U0APPROVER")["blocks"][0]["text"]["text"] == "Control room"


def _modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Edit"},
        "blocks": [{"type": "divider"}],
    }
