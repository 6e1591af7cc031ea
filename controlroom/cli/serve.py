"""``controlroom serve``: run the Slack app (HTTP or Socket Mode), or the scheduler clock.

With no flag the mode follows the environment: Socket Mode when ``SLACK_APP_TOKEN`` is set (no
public URL needed), HTTP when only the bot token and signing secret are, and otherwise a message
that says what is missing instead of a stack trace. The Slack app's workflows run in worker
processes (``bot.runner.ProcessRunner``), started before it serves; with ``REDIS_URL`` set they
are sent to the task queue instead, for ``controlroom worker`` processes
(``bot.queue_runner.QueueRunner``). The clock (``--clock``) sends its jobs' work to the task
queue too when ``REDIS_URL`` is set, and otherwise runs it itself.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

import typer

from controlroom.cli._common import errors, services, user_errors
from controlroom.cli._markup import markup

if TYPE_CHECKING:
    from controlroom.settings import Settings

Mode = Literal["http", "socket", "clock"]

NOT_CONFIGURED = (
    "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode, "
    "behind a public URL) and SLACK_APP_TOKEN too for Socket Mode (no public URL). Create the "
    "app from manifest.yml at https://api.slack.com/apps → 'From an app manifest'. Without a "
    "workspace, `controlroom demo` runs the same app against a local Slack sandbox in your "
    "browser, and everything it does also runs from this command line: `controlroom ask`, "
    "`controlroom run weekly-gtm|winback|support`, `controlroom approvals`."
)


def choose_mode(settings: Settings, *, http: bool, socket_mode: bool, clock: bool) -> Mode:
    """The mode asked for, else the one the environment allows; raises ``typer.Exit(2)`` with
    what is missing when there is none."""
    asked = [
        mode for mode, flag in (("http", http), ("socket", socket_mode), ("clock", clock)) if flag
    ]
    if len(asked) > 1:
        raise typer.BadParameter("choose one of --http, --socket-mode, --clock")
    if asked == ["clock"]:
        return "clock"
    has_app = settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    if not has_app:
        errors.print(f"[red]configuration error:[/] {NOT_CONFIGURED}", highlight=False)
        raise typer.Exit(2)
    if asked == ["socket"] or (not asked and settings.slack_app_token is not None):
        if settings.slack_app_token is None:
            errors.print(
                "[red]configuration error:[/] SLACK_APP_TOKEN is not set: create an app-level "
                "token with the connections:write scope (Basic Information → App-Level Tokens)",
                highlight=False,
            )
            raise typer.Exit(2)
        return "socket"
    return "http"


def serve(
    http: bool = typer.Option(False, "--http", help="HTTP mode: /slack/events (the `web` role)."),
    socket_mode: bool = typer.Option(
        False, "--socket-mode", help="Socket Mode: no public URL (instead of the `web` role)."
    ),
    clock: bool = typer.Option(False, "--clock", help="The scheduler (the one `clock` process)."),
    host: str = typer.Option("127.0.0.1", help="HTTP mode: the address to listen on."),
    port: int = typer.Option(3000, help="HTTP mode: the port."),
) -> None:
    """Run the Slack app or the scheduler; with no flag, the mode the environment allows."""
    with user_errors(), services() as built:
        mode = choose_mode(built.settings, http=http, socket_mode=socket_mode, clock=clock)
        from bot.runner import ProcessRunner, WorkflowRunner
        from bot.workers import WorkersNotStartedError

        # The workflows run in worker processes, ready before the first request, or on the task
        # queue (its broker checked first); the clock without a broker runs its jobs itself. The
        # app closes the runner when it stops (uvicorn's lifespan, the Socket Mode coroutine);
        # the ``finally`` covers a failed start and the clock.
        runner: WorkflowRunner | None = None
        if built.settings.broker_url is not None:
            from bot.queue_runner import QueueRunner

            runner = QueueRunner(built.settings)
        elif mode != "clock":
            runner = ProcessRunner(built.settings)
        try:
            if runner is not None:
                runner.start()
            if mode == "clock":
                from bot.scheduler import run_clock

                run_clock(built, runner=runner)
                return
            assert runner is not None
            from bot.app import build_app, http_app, run_socket_mode

            app = build_app(built, runner=runner)
            if mode == "socket":
                app_token = built.settings.slack_app_token
                assert app_token is not None
                asyncio.run(run_socket_mode(app, app_token.get_secret_value(), runner=runner))
                return
            import uvicorn

            asgi = http_app(app, runner=runner, services=built)
            uvicorn.run(asgi, host=host, port=port, log_level="info")
        except WorkersNotStartedError as error:
            errors.print(markup("[red]error:[/] {error}", error=error))
            raise typer.Exit(1) from None
        finally:
            if runner is not None:
                runner.close()
