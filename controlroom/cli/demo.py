"""``controlroom demo``: the whole control room in a browser, with no Slack workspace.

Seeds the sample company when the warehouse is missing, then serves on 127.0.0.1 the real Slack
app (``bot.app.build_app`` in HTTP mode, exactly as ``controlroom serve --http``) and the local
Slack sandbox it talks to, and runs the scheduler clock in-process, so the weekly digest also
comes on its normal schedule. The sandbox's Web API is the app's ``SLACK_API_URL``; the bot token
and signing secret are the sandbox workspace's own (made once, kept in ``var/sandbox.db``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from contextlib import suppress
from datetime import date
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

import typer

from controlroom.cli._common import console, errors, user_errors
from controlroom.cli._markup import markup

if TYPE_CHECKING:
    import uvicorn

    from controlroom.services import Services
    from sandbox import Person, Workspace

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8765
SANDBOX_FILE = "sandbox.db"
COMMAND = "/controlroom"
GENERAL = "#general"
START_TIMEOUT_SECONDS = 30.0
# The sample company `controlroom data seed` makes by default.
SAMPLE_CUSTOMERS = 5_000
SAMPLE_SEED = 42


def demo(
    port: int = typer.Option(DEFAULT_PORT, min=0, max=65535, help="The sandbox page's port."),
) -> None:
    """Try the control room in a browser: the app and a local Slack on 127.0.0.1."""
    from controlroom.services import build_services
    from controlroom.settings import Settings
    from sandbox import Workspace
    from sandbox.served import listen, url_of

    with user_errors():
        first = Settings()
        workspace = Workspace.open(first.var_dir / SANDBOX_FILE)
        try:
            sandbox_socket = listen(port)
        except OSError as error:
            errors.print(
                f"[red]error:[/] port {port} is taken ({error.strerror}): try --port {port + 1}",
                highlight=False,
            )
            raise typer.Exit(2) from None
        app_socket = listen(0)
        # The environment's settings with the sandbox's address and secrets; the clock's jobs
        # run on these too (bot/scheduler.py keeps them for the clock).
        built = build_services(Settings(**demo_environment(workspace, url_of(sandbox_socket))))
        try:
            _seed_if_missing(built)
            with Demo(built, workspace, sandbox=sandbox_socket, app=app_socket) as running:
                scheduler = start_clock(built)
                # The help centre is embedded now, not when the first question waits for it;
                # not a daemon: stopping waits for it rather than leave the index half-written.
                warming = threading.Thread(target=_warm_up, args=(built,), name="kb-warm-up")
                warming.start()
                signal.signal(signal.SIGTERM, _stop)
                # Ctrl-C stops it even when the shell that started it ignores SIGINT (a job
                # started in the background from a script inherits that).
                signal.signal(signal.SIGINT, signal.default_int_handler)
                try:
                    console.print(
                        markup(
                            "[bold]Two Peaks Control Room[/] — open [link]{url}[/link]\n"
                            "Slack app on {app_url}; clock in {timezone}. Ctrl-C stops.",
                            url=running.url,
                            app_url=running.app_url,
                            timezone=built.policies.schedule.timezone,
                        )
                    )
                    running.wait()
                except KeyboardInterrupt:
                    console.print("Stopping…")
                finally:
                    scheduler.shutdown(wait=False)
                    # Before the services close and the interpreter shuts down (a library it
                    # imports then could no longer start its threads).
                    warming.join()
        finally:
            built.close()
            workspace.close()


def _warm_up(services: Services) -> None:
    from agents.support import prepare
    from controlroom.services import ready_knowledge_base

    try:
        prepare(ready_knowledge_base(services))
    except Exception:  # the first question will try again and report what is wrong
        logger.exception("could not ingest the help centre")


def _stop(signum: int, frame: FrameType | None) -> None:
    """``kill`` stops the demo as Ctrl-C does: servers and clock shut down in order."""
    raise KeyboardInterrupt


def demo_environment(workspace: Workspace, sandbox_url: str) -> dict[str, str]:
    """The Slack settings that point the app at the sandbox, by their variables' names."""
    return {
        "SLACK_BOT_TOKEN": workspace.identity.bot_token,
        "SLACK_SIGNING_SECRET": workspace.identity.signing_secret,
        "SLACK_API_URL": f"{sandbox_url}/api/",
    }


def demo_people(services: Services) -> list[Person]:
    """An approver (the policy's first) and someone who is not one, to show permissions."""
    from sandbox import Person

    approvers = services.policies.approvals.approver_user_ids or ["U0APPROVER"]
    return [
        Person(approvers[0], "avery", "Avery Approver", "approver"),
        Person("U0MEMBER", "morgan", "Morgan Member", "not an approver"),
    ]


def demo_channels(services: Services) -> list[str]:
    """The channels named in ``policies/approvals.yaml``, and #general."""
    named = services.policies.approvals.channels
    return [GENERAL, named.digest, named.approvals, named.support_escalations]


class Demo:
    """The Slack app and the sandbox served on 127.0.0.1 from one background thread (its own
    event loop); use as a context manager. The services' settings must be the sandbox's
    (``demo_environment``)."""

    def __init__(
        self,
        services: Services,
        workspace: Workspace,
        *,
        sandbox: socket.socket,
        app: socket.socket,
    ) -> None:
        from bot.app import build_app, http_app
        from sandbox import local_slack, populate
        from sandbox.served import url_of

        self.url = url_of(sandbox)
        self.app_url = url_of(app)
        populate(workspace, channels=demo_channels(services), people=demo_people(services))
        usergroup = services.policies.approvals.approver_usergroup
        if usergroup:
            workspace.add_usergroup(usergroup, "approvers", [demo_people(services)[0].id])
        self.workspace = workspace
        sandbox_asgi, self.interactions = local_slack(
            workspace,
            base_url=self.url,
            request_url=f"{self.app_url}/slack/events",
            commands=(COMMAND,),
        )
        self._servers = [
            (_server(http_app(build_app(services))), app),
            (_server(sandbox_asgi, graceful=2), sandbox),
        ]
        self._thread = threading.Thread(target=self._run, name="demo-servers", daemon=True)
        self._failure: BaseException | None = None

    def _run(self) -> None:
        async def serve_all() -> None:
            await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in self._servers))

        try:
            asyncio.run(serve_all())
        except BaseException as error:  # reported by __enter__ / wait, in the caller's thread
            self._failure = error

    def __enter__(self) -> Demo:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not all(server.started for server, _ in self._servers):
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError(f"the demo servers did not start: {self._failure!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the demo servers did not start in time")
            time.sleep(0.02)
        return self

    def wait(self) -> None:
        """Block until the servers stop (Ctrl-C raises ``KeyboardInterrupt`` here)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for server, _ in self._servers:
            server.should_exit = True
        self._thread.join(timeout=15)
        for _, sock in self._servers:
            with suppress(OSError):
                sock.close()


def _server(asgi: Any, *, graceful: int | None = None) -> uvicorn.Server:
    import uvicorn

    config = uvicorn.Config(
        asgi,
        lifespan="off",
        log_level="warning",
        access_log=False,
        ws="none",
        timeout_graceful_shutdown=graceful,
    )
    return uvicorn.Server(config)


def _seed_if_missing(services: Services) -> None:
    """Generate the sample company when there is no warehouse yet (a few seconds)."""
    from integrations.warehouse import SampleCompanySpec, last_complete_week_end

    path: Path = services.settings.effective_warehouse_path
    if path.exists():
        return
    spec = SampleCompanySpec(
        customers=SAMPLE_CUSTOMERS, seed=SAMPLE_SEED, until=last_complete_week_end(date.today())
    )
    with console.status("Seeding the sample company (first run only)…"):
        services.warehouse.seed(spec)
    console.print(markup("Seeded the sample company into {path}", path=path))


def start_clock(services: Services) -> Any:
    """The scheduler clock in this process (the demo is the one clock while it runs)."""
    from bot.scheduler import build_scheduler

    scheduler = build_scheduler(services)
    scheduler.start()
    return scheduler
