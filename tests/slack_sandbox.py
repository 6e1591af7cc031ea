"""The real Slack app (``bot.app.build_app`` over HTTP) against the sandbox's Slack (``sandbox/``)
for the bot's tests: the workspace the tests' people and channels live in, the sandbox's Web API
logging every call (``CallLog``), and signed requests from its people (``ScriptedSlack``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import CallLog, Person, ScriptedSlack, Served, WebApi, Workspace, local_slack
from sandbox.served import listen, url_of

# The channels the tests post in, by the IDs they check (policies/approvals.yaml names the
# first three); the direct messages with a person are "D" and the person's ID after its "U".
CHANNELS = {
    "#gtm-approvals": "C0APPROVALS",
    "#gtm-digest": "C0DIGEST",
    "#support-escalations": "C0ESCALATIONS",
    "#gtm": "C0GTM",
}
PEOPLE = (
    Person("U0APPROVER", "avery", "Avery Approver", "approver"),  # policies/approvals.yaml
    Person("U0GROUPLEAD", "gale", "Gale Grouplead", "approver through the user group"),
    Person("U0MARKETER", "morgan", "Morgan Marketer", "not an approver"),
    Person("U0CUSTOMER", "casey", "Casey Customer", "asks Support"),
    Person("U0READER", "riley", "Riley Reader", "reads answers, not an approver"),
    Person("U0ANALYST", "ana", "Ana Analyst", "asks for figures"),
)


def sandbox_workspace(path: Path) -> Workspace:
    """A workspace at ``path`` with the tests' channels and people."""
    workspace = Workspace.open(path)
    for name, channel_id in CHANNELS.items():
        workspace.add_channel(name, channel_id)
    for person in PEOPLE:
        workspace.add_person(person)
    return workspace


def slack_environment(workspace: Workspace) -> dict[str, str]:
    """The app's Slack settings for ``workspace``, by their variables' names (its Web API's
    address is the served sandbox's, given to the app's client by ``running_bot``)."""
    return {
        "SLACK_BOT_TOKEN": workspace.identity.bot_token,
        "SLACK_SIGNING_SECRET": workspace.identity.signing_secret,
    }


@dataclass(frozen=True, slots=True)
class RunningBot:
    """The app served over HTTP (``app``, for a test that dispatches to it itself), the calls
    it made of the sandbox, and its people's hands."""

    api: CallLog
    slack: ScriptedSlack
    workspace: Workspace
    app: Any


# Where the sandbox's people would send to an app when none is served (a scheduled job's test):
# port 9 (discard) on loopback, where nothing listens.
NO_APP = "http://127.0.0.1:9/slack/events"


@contextmanager
def served_sandbox(workspace: Workspace, app_url: str = NO_APP) -> Iterator[tuple[CallLog, WebApi]]:
    """The sandbox over ``workspace`` served on 127.0.0.1, its people sending to the app at
    ``app_url``: the log of the calls made of it, and its Web API (at ``api.base_url``)."""
    log, sock = CallLog(), listen()
    asgi, interactions = local_slack(workspace, base_url=url_of(sock), request_url=app_url, log=log)
    with Served(asgi, sock):
        yield log, interactions.api


@contextmanager
def running_bot(
    services: Any, workspace: Workspace, *, beside: RunningBot | None = None, **app_options: Any
) -> Iterator[RunningBot]:
    """``bot.app.build_app(services)`` on uvicorn, its Web API client pointed at the sandbox
    over ``workspace``: a sandbox served for it, or the one the app ``beside`` talks to (two web
    replicas of one Slack app). The services' settings must carry the workspace's signing
    secret (``slack_environment``)."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.app import build_app, http_app

    app_socket = listen()
    app_url = f"{url_of(app_socket)}/slack/events"
    with ExitStack() as stack:
        if beside is None:
            log, api = stack.enter_context(served_sandbox(workspace, app_url))
        else:
            log, api = beside.api, beside.slack.api
        client = AsyncWebClient(token=workspace.identity.bot_token, base_url=f"{api.base_url}/api/")
        app = build_app(services, client=client, **app_options)
        stack.enter_context(Served(http_app(app), app_socket))
        slack = ScriptedSlack(api, app_url, user="U0MARKETER", channel="#gtm")
        yield RunningBot(log, slack, workspace, app)


def shared_files(workspace: Workspace, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """The files shared in the thread of ``thread_ts`` in ``channel`` (by ID), as the file
    objects of their messages, in order."""
    return [
        shared
        for message in workspace.replies(channel, thread_ts)
        if message["ts"] != thread_ts
        for shared in message.get("files") or []
    ]


def texts(blocks: list[dict[str, Any]]) -> str:
    """All the text in a message's blocks, to read what a person would see."""
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("fields", []) + block.get("elements", []):
            if isinstance(element, dict) and "text" in element:
                text = element["text"]
                found.append(text["text"] if isinstance(text, dict) else text)
    return "\n".join(found)
