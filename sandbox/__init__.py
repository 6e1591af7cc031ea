"""A local Slack for trying the control room with no workspace, and for testing it end to end.

It plays Slack's part on 127.0.0.1: the Web API the app calls (``/api/chat.postMessage`` …, in
Slack's response shapes and errors), the workspace it keeps in SQLite (people, channels,
messages, threads, files, views), and a web page where a person types commands and mentions,
clicks buttons and fills in modals — each sent to the app as a signed HTTP request shaped as
Slack's. It knows nothing of the control room: the demo (``controlroom demo``) tells it which
channels and people to create and where the app listens.

Exceptions: see ``sandbox.errors``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette

from sandbox.calls import Call, CallLog
from sandbox.deliver import AppEndpoint
from sandbox.errors import ApiError, DeliveryError, SandboxError
from sandbox.interactions import Interactions, Outcome
from sandbox.scripted import ScriptedSlack
from sandbox.served import Served
from sandbox.server import build_sandbox
from sandbox.webapi import WebApi
from sandbox.workspace import Identity, Person, Workspace

__all__ = [
    "ApiError",
    "AppEndpoint",
    "Call",
    "CallLog",
    "DeliveryError",
    "Identity",
    "Interactions",
    "Outcome",
    "Person",
    "SandboxError",
    "ScriptedSlack",
    "Served",
    "WebApi",
    "Workspace",
    "build_sandbox",
    "local_slack",
    "populate",
]


def populate(workspace: Workspace, *, channels: Sequence[str], people: Sequence[Person]) -> None:
    """Create the channels ("#gtm-digest") and people (and each one's direct messages with the
    app) that are not there yet."""
    for name in channels:
        workspace.add_channel(name)
    for person in people:
        workspace.add_person(person)
        workspace.direct_channel(person.id)


def local_slack(
    workspace: Workspace,
    *,
    base_url: str,
    request_url: str,
    commands: Sequence[str] = ("/controlroom",),
    log: CallLog | None = None,
) -> tuple[Starlette, Interactions]:
    """The sandbox at ``base_url`` over ``workspace``, sending what people do to the app at
    ``request_url`` (signed with the workspace's signing secret); ``log`` keeps the app's calls
    (for tests and benches)."""
    api = WebApi(workspace, base_url, log)
    app = AppEndpoint(request_url, workspace.identity.signing_secret)
    interactions = Interactions(workspace, api, app, commands=commands)
    return build_sandbox(interactions), interactions
