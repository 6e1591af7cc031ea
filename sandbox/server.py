"""The sandbox as one ASGI app (Starlette): the Slack Web API under ``/api/``, the upload and
``response_url`` endpoints, uploaded files, and the page with its JSON and live-update routes.

The page is plain HTML, CSS and JavaScript served as static files (no build step). It renders
Block Kit itself, from the same JSON the Web API stored: the page needs that JSON anyway to build
real ``block_actions`` and ``view_submission`` payloads, and the server stays a pure API. It
learns of changes through server-sent events (``/ui/stream``, one number: the workspace's
version) and then fetches ``/ui/state``. Emoji names come from ``/ui/emoji``, once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from integrations.emoji_names import emoji_table
from sandbox.errors import ApiError
from sandbox.files import sniff_mimetype
from sandbox.interactions import Interactions, Outcome
from sandbox.workspace import Workspace

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
# How often the live-update stream looks for a change, and sends a keep-alive comment.
POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0


def build_sandbox(interactions: Interactions) -> Starlette:
    """The sandbox's routes over ``interactions`` (its workspace, Web API and app endpoint)."""
    workspace, api = interactions.workspace, interactions.api

    async def web_api(request: Request) -> Response:
        try:
            args = await _arguments(request)
        except ValueError:
            return JSONResponse({"ok": False, "error": "invalid_json"})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        answer = api.call(request.path_params["method"], args, token or args.get("token"))
        if not answer["ok"]:
            logger.info("%s → %s", request.path_params["method"], answer["error"])
        return JSONResponse(answer)

    async def upload(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        row = workspace.file(file_id)
        if row is None:
            return PlainTextResponse("file not found", status_code=404)
        content = await request.body()
        workspace.store_file_content(file_id, content, sniff_mimetype(content, row["name"]))
        return PlainTextResponse(f"OK - {len(content)}")

    async def response_url(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            return JSONResponse({"ok": False, "error": "invalid_json"}, status_code=400)
        status, answer = interactions.respond(request.path_params["token"], body)
        return JSONResponse(answer, status_code=status)

    async def file_content(request: Request) -> Response:
        row = workspace.file(request.path_params["file_id"])
        if row is None or row["content"] is None:
            return PlainTextResponse("file not found", status_code=404)
        return Response(row["content"], media_type=row["mimetype"])

    async def archives(request: Request) -> Response:
        ts = request.path_params["p"].removeprefix("p")
        ts = f"{ts[:-6]}.{ts[-6:]}"
        thread = request.query_params.get("thread_ts") or ts
        channel = request.path_params["channel"]
        return RedirectResponse(f"/?channel={channel}&thread={thread}&ts={ts}")

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def emoji(request: Request) -> Response:
        return JSONResponse(emoji_table(), headers={"Cache-Control": "max-age=86400"})

    async def state(request: Request) -> Response:
        query = request.query_params
        return JSONResponse(
            page_state(workspace, query.get("user"), query.get("channel"), query.get("thread"))
        )

    async def stream(request: Request) -> Response:
        return StreamingResponse(
            _changes(request, workspace),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )

    async def command(body: Body) -> Outcome:
        user, channel, text = body.required("user", "channel", "text")
        return await interactions.command(user, channel, text)

    async def message(body: Body) -> Outcome:
        user, channel, text = body.required("user", "channel", "text")
        return await interactions.message(user, channel, text, body.optional("thread_ts"))

    async def action(body: Body) -> Outcome:
        user, block_id, action_id = body.required("user", "block_id", "action_id")
        chosen = body.fields.get("chosen")
        view_id = body.optional("view_id")
        if view_id is not None:
            values = body.fields.get("values")
            return await interactions.act_on_view(
                user, view_id, block_id, action_id, chosen, values
            )
        channel, message_ts = body.required("channel", "message_ts")
        return await interactions.act_on_message(
            user, channel, message_ts, block_id, action_id, chosen
        )

    async def submit(body: Body) -> Outcome:
        user, view_id = body.required("user", "view_id")
        return await interactions.submit(user, view_id, body.fields.get("values") or {})

    async def close(body: Body) -> Outcome:
        user, view_id = body.required("user", "view_id")
        return await interactions.close(user, view_id)

    async def home(body: Body) -> Outcome:
        (user,) = body.required("user")
        return await interactions.open_home(user)

    return Starlette(
        routes=[
            Route("/api/{method}", web_api, methods=["GET", "POST"]),
            Route("/upload/v1/{file_id}", upload, methods=["POST", "PUT"]),
            Route("/response/{token}", response_url, methods=["POST"]),
            Route("/files/{file_id}/{name}", file_content, methods=["GET"]),
            Route("/archives/{channel}/{p}", archives, methods=["GET"]),
            Route("/", page, methods=["GET"]),
            Route("/ui/state", state, methods=["GET"]),
            Route("/ui/emoji", emoji, methods=["GET"]),
            Route("/ui/stream", stream, methods=["GET"]),
            Route("/ui/command", _person(command), methods=["POST"]),
            Route("/ui/message", _person(message), methods=["POST"]),
            Route("/ui/action", _person(action), methods=["POST"]),
            Route("/ui/submit", _person(submit), methods=["POST"]),
            Route("/ui/close", _person(close), methods=["POST"]),
            Route("/ui/home", _person(home), methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )


def page_state(
    workspace: Workspace, user: str | None, channel_id: str | None, thread_ts: str | None
) -> dict[str, Any]:
    """What the page shows ``user``: the workspace, one channel's messages, one open thread,
    the user's modals and Home tab."""
    people = workspace.people()
    me = next((p for p in people if p.id == user), None) or next(
        (p for p in people if not p.is_bot), None
    )
    identity = workspace.identity
    channels = [c for c in workspace.channels() if not c["is_im"]]
    if me is not None:
        channels.append(workspace.direct_channel(me.id))
    channel = workspace.channel(channel_id) if channel_id else None
    if channel is None or (channel["is_im"] and me is not None and channel["user"] != me.id):
        channel = channels[0] if channels else None
    viewer = me.id if me else None
    # People's and channels' names by id, for "<@U…>" and "<#C…>" in what the page shows.
    names = {p.id: p.real_name for p in people}
    names[identity.bot_user_id] = "Control Room"
    names["USLACKBOT"] = "Slackbot"
    names.update((c["id"], c["name"]) for c in workspace.channels() if not c["is_im"])
    return {
        "version": workspace.version,
        "team": {"id": identity.team_id, "name": identity.team_name},
        "bot": {"user_id": identity.bot_user_id, "name": "Control Room"},
        "me": asdict(me) if me else None,
        "people": [asdict(p) for p in people if not p.is_bot],
        "names": names,
        "channels": channels,
        "channel": channel,
        "messages": workspace.history(channel["id"], viewer=viewer) if channel else [],
        "thread": (
            workspace.replies(channel["id"], thread_ts, viewer=viewer)
            if channel and thread_ts
            else None
        ),
        "home": workspace.home_view(viewer) if viewer else None,
        "modals": workspace.open_modals(viewer) if viewer else [],
    }


async def _changes(request: Request, workspace: Workspace) -> AsyncIterator[str]:
    """Server-sent events: the workspace's version each time it changes (scheduled messages
    are posted here on time while a page watches, and at the next Web API call otherwise)."""
    seen = -1
    quiet = 0.0
    while not await request.is_disconnected():
        workspace.post_due_messages()
        if workspace.version != seen:
            seen = workspace.version
            quiet = 0.0
            yield f"event: change\ndata: {seen}\n\n"
        elif quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS


class Body:
    """The JSON object a ``/ui/`` call sends: the person's action and its arguments."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def required(self, *names: str) -> list[str]:
        """The named fields as text; ``ApiError("invalid_arguments")`` names those missing."""
        given = {name: self.optional(name) for name in names}
        missing = [name for name, value in given.items() if value is None]
        if missing:
            raise ApiError("invalid_arguments", *(f"missing field: {name}" for name in missing))
        return [value for value in given.values() if value is not None]

    def optional(self, name: str) -> str | None:
        """The field as text; None when it is absent, null or empty."""
        value = self.fields.get(name)
        return None if value in (None, "") else str(value)


def _person(act: Callable[[Body], Awaitable[Outcome]]) -> Callable[[Request], Awaitable[Response]]:
    """A ``/ui/`` route running one of the person's actions; a body that is not a JSON object,
    a missing field or a mistake (unknown user, channel, view) is a 400 naming what is wrong."""

    async def route(request: Request) -> Response:
        try:
            fields = json.loads(await request.body() or b"{}")
            if not isinstance(fields, dict):
                raise ApiError("invalid_json", "the body must be a JSON object")
            outcome = await act(Body(fields))
        except json.JSONDecodeError as error:
            return _refused(ApiError("invalid_json", str(error)))
        except ApiError as error:
            return _refused(error)
        return JSONResponse(asdict(outcome))

    return route


def _refused(error: ApiError) -> Response:
    return JSONResponse(
        {"ok": False, "error": error.code, "errors": {}, "messages": error.messages},
        status_code=400,
    )


async def _arguments(request: Request) -> dict[str, Any]:
    """A Web API call's arguments: query string, then a form or JSON body; raises
    ``ValueError`` for a JSON body that is not JSON."""
    args: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if not body:
        return args
    content_type = request.headers.get("Content-Type", "")
    if "json" in content_type:
        parsed = json.loads(body)  # a JSONDecodeError is a ValueError
        if isinstance(parsed, dict):
            args.update(parsed)
    else:
        args.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return args
