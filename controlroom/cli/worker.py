"""``controlroom worker``: run workflows from the task queue (the `worker` role).

Needs ``REDIS_URL`` (or ``BROKER_URL``): the same broker as the ``serve`` processes that
enqueue. Each of the ``--concurrency`` processes builds its own services once from the
settings; the state store (``DATABASE_URL``), the warehouse and the knowledge base
(``CHROMA_URL``) must be reachable from this machine.
"""

from __future__ import annotations

import typer

from controlroom.cli._common import errors, user_errors
from controlroom.cli._markup import markup

NO_BROKER = (
    "no task queue is configured: set REDIS_URL (or BROKER_URL) to the Redis that "
    "`controlroom serve` enqueues on, e.g. redis://127.0.0.1:6379/0"
)
AS_ROOT = (
    "refusing to run as root: tasks arrive pickled, so a message on the broker could run code "
    "as root. Run the worker as another user (or set C_FORCE_ROOT=1 if you really must)"
)
QUEUE_NAMES = ("interactive", "batch")


def worker(
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        min=1,
        help="Worker processes (default: 2 with CHROMA_URL, else 1).",
    ),
    queues: str = typer.Option(
        ",".join(QUEUE_NAMES), "--queues", help="The queues to consume, comma-separated."
    ),
) -> None:
    """Run workflows from the task queue until stopped (the `worker` role)."""
    names = [name.strip() for name in queues.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUE_NAMES]
    if not names or unknown:
        raise typer.BadParameter(
            f"expected some of {', '.join(QUEUE_NAMES)}", param_hint="--queues"
        )
    with user_errors():
        from controlroom.services import build_services
        from controlroom.settings import Settings

        settings = Settings()
        if settings.broker_url is None:
            errors.print(markup("[red]configuration error:[/] {why}", why=NO_BROKER))
            raise typer.Exit(2)
        # Once here, before any worker process: a bad policy or database is one line, not a
        # worker process failing over and over, and the state store is migrated once.
        build_services(settings).close()

        from celery.exceptions import SecurityError

        from bot.queue_tasks import BrokerUnavailableError, check_broker, run_worker
        from bot.runner import workflow_processes

        try:
            check_broker(settings)
        except BrokerUnavailableError as error:
            errors.print(markup("[red]error:[/] {error}", error=error))
            raise typer.Exit(1) from None

        processes = concurrency or workflow_processes(settings)
        if processes > workflow_processes(settings):
            errors.print(
                "[yellow]warning:[/] the worker processes share the embedded Chroma store: an "
                "answer one adds is not found by the others (set CHROMA_URL for a Chroma server)"
            )
        try:
            code = run_worker(settings, concurrency=processes, queues=names)
        except SecurityError:
            errors.print(markup("[red]error:[/] {why}", why=AS_ROOT))
            raise typer.Exit(1) from None
    if code:
        raise typer.Exit(code)
