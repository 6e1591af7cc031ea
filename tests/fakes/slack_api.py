"""A fake Slack for the bot's tests: the Web API and response URLs, recording every call, and
the real Bolt app served by uvicorn on 127.0.0.1 (``running_bot``), driven by the signed requests
of ``tests.fakes.slack_sender``.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import uvicorn

from tests.fakes.local_http import LocalHTTPServer, json_reply
from tests.fakes.slack_sender import BOT_USER_ID, TEAM_ID, SlackSender

CHANNEL_IDS = {
    "#gtm-approvals": "C0APPROVALS",
    "#gtm-digest": "C0DIGEST",
    "#support-escalations": "C0ESCALATIONS",
}


@dataclass(frozen=True, slots=True)
class Call:
    """One request the app made: a Web API method (``chat.update``) or ``response_url``."""

    method: str
    args: dict[str, Any]


UPLOAD_PATH = "/upload/v1/"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(data: bytes | None) -> bool:
    return data is not None and data.startswith(PNG_SIGNATURE)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file uploaded as Slack's files_upload_v2 does it: announced (name, declared length),
    its bytes received at the upload URL, then shared (title, channel, thread)."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None

    @property
    def size(self) -> int:
        return len(self.data or b"")

    @property
    def is_png(self) -> bool:
        return is_png(self.data)


class FakeSlackAPI:
    """The Slack Web API at ``api_url`` and a response URL at ``response_url``; use as a context
    manager. ``wait_for`` blocks until the app made a matching call (its work is asynchronous)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed = threading.Condition()
        self._messages = 0
        self._uploads: dict[str, Upload] = {}  # by file ID
        # Channel IDs the app was never invited to: posting there answers "not_in_channel".
        self.channels_without_the_app: set[str] = set()
        # What apps.connections.open hands out: the ws:// URL of a local Socket Mode server.
        self.socket_mode_url: str | None = None
        # User groups (S… -> member user ids) for usergroups.users.list; an unknown group is
        # Slack's no_such_subteam. ``failures`` makes a method answer {"ok": false, "error": …}.
        self.usergroups: dict[str, list[str]] = {}
        self.failures: dict[str, str] = {}
        self._server = LocalHTTPServer(self._route)

    @property
    def api_url(self) -> str:
        return f"{self._server.url}/api/"

    @property
    def response_url(self) -> str:
        return f"{self._server.url}/response/T0TWOPEAKS/1/secret"

    def __enter__(self) -> FakeSlackAPI:
        self._server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(None, None, None)

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 120.0) -> list[Call]:
        """The first ``count`` calls to ``method``, waiting for them up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [call for call in self.calls if call.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    made = [call.method for call in self.calls]
                    raise AssertionError(f"no {count} {method} call(s) in {timeout}s; got {made}")
                self._changed.wait(left)

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(path)
        if url.path.startswith(UPLOAD_PATH):
            return self._receive_upload(url.path.removeprefix(UPLOAD_PATH), body)
        args: dict[str, Any] = dict(parse_qsl(url.query))
        if body:
            if "json" in headers.get("Content-Type", ""):
                args.update(json.loads(body))
            else:
                args.update(parse_qsl(body.decode()))
        if url.path.startswith("/response/"):
            self._record("response_url", args)
            return 200, {"Content-Type": "text/plain"}, b"ok"
        name = url.path.removeprefix("/api/")
        self._record(name, args)
        return json_reply(200, self._answer(name, args))

    def _record(self, method: str, args: dict[str, Any]) -> None:
        with self._changed:
            self.calls.append(Call(method, args))
            self._changed.notify_all()

    def _answer(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        if name in self.failures:
            return {"ok": False, "error": self.failures[name]}
        if name == "usergroups.users.list":
            members = self.usergroups.get(str(args.get("usergroup", "")))
            if members is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(members)}
        if name == "auth.test":
            return {
                "ok": True,
                "url": "https://twopeaks.slack.com/",
                "team": "Two Peaks",
                "user": "controlroom",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0CONTROLROOM",
                "is_enterprise_install": False,
            }
        if name in ("chat.postMessage", "chat.update"):
            channel = str(args.get("channel", ""))
            channel = CHANNEL_IDS.get(channel, channel)
            if channel in self.channels_without_the_app:
                return {"ok": False, "error": "not_in_channel"}
            with self._changed:
                self._messages += 1
                ts = str(args.get("ts") or f"1764000000.{self._messages:06d}")
            return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}
        if name == "chat.getPermalink":
            channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
            if not channel.startswith(("C", "D", "G")) or not ts:
                return {"ok": False, "error": "channel_not_found"}
            permalink = f"https://twopeaks.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": permalink}
        if name == "apps.connections.open":
            if self.socket_mode_url is None:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_mode_url}
        if name == "views.open":
            return {"ok": True, "view": {"id": "V0REJECT"}}
        if name == "files.getUploadURLExternal":
            return self._upload_url(args)
        if name == "files.completeUploadExternal":
            return self._complete_uploads(args)
        return {"ok": True}

    # Files, as slack_sdk's files_upload_v2 sends them: files.getUploadURLExternal (filename,
    # length) gives a file ID and an upload URL; the bytes are POSTed to that URL (HTTP 200,
    # "OK - <bytes>"); files.completeUploadExternal (files=[{"id", "title"}] as JSON, channel_id,
    # thread_ts) shares them.

    def uploads_in(self, channel: str, thread_ts: str | None = None) -> list[Upload]:
        """The files shared in ``channel`` (in the thread ``thread_ts`` when given)."""
        with self._changed:
            return [
                upload
                for upload in self._uploads.values()
                if upload.channel == channel
                and (thread_ts is None or upload.thread_ts == thread_ts)
            ]

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        length = str(args.get("length", ""))
        if not args.get("filename") or not length.isdigit() or int(length) == 0:
            return {"ok": False, "error": "invalid_arguments"}
        with self._changed:
            file_id = f"F0UPLOAD{len(self._uploads) + 1:04d}"
            self._uploads[file_id] = Upload(
                file_id=file_id,
                filename=str(args["filename"]),
                length=int(length),
                alt_txt=args.get("alt_txt"),
            )
        return {
            "ok": True,
            "upload_url": f"{self._server.url}{UPLOAD_PATH}{file_id}",
            "file_id": file_id,
        }

    def _receive_upload(self, file_id: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._changed:
            upload = self._uploads.get(file_id)
            if upload is None:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            self._uploads[file_id] = dataclasses.replace(upload, data=body)
        self._record("upload", {"file_id": file_id, "size": len(body), "png": is_png(body)})
        return 200, {"Content-Type": "text/plain"}, f"OK - {len(body)}".encode()

    def _complete_uploads(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(str(args.get("files", "")))
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id")
        thread_ts = args.get("thread_ts")
        shared = []
        with self._changed:
            for item in files:
                upload = self._uploads.get(str(item.get("id")))
                if upload is None or upload.data is None:
                    return {"ok": False, "error": "file_not_found"}
                shared.append(
                    dataclasses.replace(
                        upload, title=item.get("title"), channel=channel, thread_ts=thread_ts
                    )
                )
            for upload in shared:
                self._uploads[upload.file_id] = upload
        return {
            "ok": True,
            "files": [
                {
                    "id": upload.file_id,
                    "name": upload.filename,
                    "title": upload.title,
                    "mimetype": "image/png" if upload.is_png else "application/octet-stream",
                    "size": upload.size,
                }
                for upload in shared
            ],
        }


class BotServer:
    """Serves an ASGI app with uvicorn on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self, asgi: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(asgi, lifespan="off", log_level="warning", ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}/slack/events"

    def __enter__(self) -> BotServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@dataclass(frozen=True, slots=True)
class RunningBot:
    """The real app served over HTTP, the fake Slack it talks to, and a signed sender."""

    api: FakeSlackAPI
    slack: SlackSender


def signing_secret(services: Any) -> str:
    """The signing secret the app verifies with (the services' settings)."""
    return str(services.settings.slack_signing_secret.get_secret_value())


@contextmanager
def running_bot(services: Any) -> Iterator[RunningBot]:
    """``bot.app.build_app(services)`` on uvicorn, its Web API client pointed at the fake.

    The services' settings must carry ``SIGNING_SECRET`` (see the bot tests' ``settings``).
    """
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.app import build_app, http_app

    with FakeSlackAPI() as api:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url)
        app = build_app(services, client=client)
        with BotServer(http_app(app)) as server:
            yield RunningBot(
                api, SlackSender(server.url, signing_secret(services), api.response_url)
            )


def texts(blocks: list[dict]) -> str:
    """All the text in a message's blocks, to read what a person would see."""
    found = []
    for block in blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                found.append(block[key]["text"])
        for element in block.get("fields", []) + block.get("elements", []):
            if isinstance(element, dict) and "text" in element:
                text = element["text"]
                found.append(text["text"] if isinstance(text, dict) else text)
    return "\n".join(found)
