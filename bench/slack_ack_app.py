"""The app under test of ``bench.slack_ack``: a sample company seeded in a folder, and the HTTP
app served from it in a child process, as ``controlroom serve --http`` runs it, on the embedded
defaults, its Web API client pointed at the sandbox's Slack (``sandbox/``) the load driver serves.

``seed_company`` fills the warehouse before the app starts; ``bench_slack`` serves the sandbox
in the driver's process, logging the app's calls; ``serve_app`` is the child process's target
(importable, as ``spawn`` needs it); ``app_settings`` are the settings it runs on, whatever the
environment says.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from controlroom.cli.demo import demo_environment
from controlroom.settings import Settings
from sandbox import CallLog, Person, ScriptedSlack, Served, Workspace, local_slack, populate
from sandbox.served import listen, url_of

UNTIL = date(2026, 11, 22)
APPROVER = "U0APPROVER"  # policies/approvals.yaml
MARKETER = "U0MARKETER"
CHANNELS = ("#gtm", "#gtm-approvals", "#gtm-digest", "#support-escalations")


@contextmanager
def bench_slack(folder: Path, app_port: int) -> Iterator[tuple[ScriptedSlack, CallLog]]:
    """The sandbox's Slack over a workspace in ``folder``, served on 127.0.0.1 from this
    process, logging the app's calls; its people (an approver, a marketer typing in #gtm) send
    to the app at ``app_port``."""
    workspace = Workspace.open(folder / "sandbox.db")
    people = [
        Person(APPROVER, "avery", "Avery Approver", "approver"),
        Person(MARKETER, "morgan", "Morgan Marketer", "not an approver"),
    ]
    populate(workspace, channels=CHANNELS, people=people)
    log, sock = CallLog(), listen()
    request_url = f"http://127.0.0.1:{app_port}/slack/events"
    asgi, interactions = local_slack(
        workspace, base_url=url_of(sock), request_url=request_url, log=log
    )
    try:
        with Served(asgi, sock):
            yield ScriptedSlack(interactions.api, request_url, user=MARKETER, channel="#gtm"), log
    finally:
        workspace.close()


def slack_environment(slack: ScriptedSlack) -> dict[str, str]:
    """The app's Slack settings for the sandbox ``slack`` belongs to, by their variables'
    names."""
    return demo_environment(slack.workspace, slack.api.base_url)


def serve_app(
    var_dir: str,
    slack: dict[str, str],
    port: int,
    ready: Any,
    switch_interval: float | None = None,
    workflow_threads: int | None = None,
    processes: int | None = None,
    backlog: int | None = None,
) -> None:
    """The child process: services on the embedded defaults in ``var_dir`` and the ``slack``
    settings (``slack_environment``), the workflow
    workers started (each with its services, the knowledge base ingested), then the HTTP app on
    uvicorn (its own event loop, uvloop when installed, as ``controlroom serve`` runs it) until
    terminated. The rest are experiments: the GIL's switch interval; the workflows in
    ``workflow_threads`` threads of this process (as before worker processes); or in
    ``processes`` worker processes holding ``backlog`` calls (defaults: as
    ``controlroom serve`` runs them, ``bot.runner.workflow_processes`` and
    ``WORKFLOW_BACKLOG``)."""
    import uvicorn

    from bot.app import build_app, http_app
    from bot.runner import (
        WORKFLOW_BACKLOG,
        ProcessRunner,
        ThreadRunner,
        WorkflowRunner,
        workflow_processes,
    )
    from controlroom.services import build_services, ready_knowledge_base

    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    services = build_services(app_settings(var_dir, slack))
    runner: WorkflowRunner
    if workflow_threads:
        ready_knowledge_base(services)
        runner = ThreadRunner(services, threads=workflow_threads)
    else:
        if processes and processes > workflow_processes(services.settings):
            # Workers creating the embedded Chroma store at once collide: create it here first.
            ready_knowledge_base(services)
        runner = ProcessRunner(
            services.settings, processes=processes, backlog=backlog or WORKFLOW_BACKLOG
        )
    runner.start()
    app = http_app(build_app(services, runner=runner), runner=runner)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)

    async def serve() -> None:
        serving = asyncio.ensure_future(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        ready.send("serving")
        await serving

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as loop:
        loop.run(serve())


def app_settings(var_dir: str, slack: dict[str, str]) -> Settings:
    """Embedded defaults whatever the environment says, and the ``slack`` settings: nothing here
    may reach a real service."""
    offline: dict[str, Any] = {
        str(field.validation_alias): None
        for field in Settings.model_fields.values()
        if field.validation_alias and field.default is None
    }
    chosen = {"CONTROLROOM_VAR_DIR": var_dir, **slack}
    return Settings(_env_file=None, **(offline | chosen))


def seed_company(var_dir: Path, customers: int) -> None:
    """The sample company with ``customers`` customers, in a new ``var_dir``."""
    from integrations.warehouse import SampleCompanySpec, Warehouse

    var_dir.mkdir(parents=True)
    Warehouse(var_dir / "warehouse.duckdb").seed(
        SampleCompanySpec(customers=customers, seed=42, until=UNTIL)
    )
