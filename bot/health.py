"""``/healthz``: whether this process reaches what its work needs, for a load balancer's or an
orchestrator's probe: the state store (``SELECT 1``) and, with a broker configured
(``REDIS_URL``), the task queue's Redis (a ping), each given ``CHECK_SECONDS``.

200 ``{"status": "ok", "checks": {"database": {"status": "ok", "ms": 1.9}, ...}}`` when every
check passes; 503 with ``"status": "failing"``, the failing checks named in ``failing`` and each
with a short reason, otherwise. A reason never quotes the driver (its message may name hosts or
users): the log has that. A check still running from an earlier probe (a database that hangs)
is awaited again, never started twice, so probes every few seconds cannot pile up threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from controlroom.settings import Settings
from integrations.statestore import StateStore

logger = logging.getLogger(__name__)

# Each check's bound: a probe answered in seconds, well inside a load balancer's timeout.
CHECK_SECONDS = 2.0

CheckStatus = Literal["ok", "failing"]


class CheckResult(BaseModel):
    """One check: passed or not, how long it took, and why not."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: CheckStatus
    ms: float
    reason: str | None = None


class HealthReport(BaseModel):
    """Every check of one probe; ``status`` is "ok" only when all of them are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: CheckStatus
    checks: dict[str, CheckResult]
    failing: list[str] = []


class HealthChecks:
    """The checks of ``/healthz`` over the state store and the settings' broker (if any)."""

    def __init__(
        self, state: StateStore, settings: Settings, *, seconds: float = CHECK_SECONDS
    ) -> None:
        self._seconds = seconds
        self._probes: dict[str, Callable[[], None]] = {"database": state.ping}
        if settings.broker_url is not None:
            from bot.queue_tasks import check_broker

            self._probes["broker"] = functools.partial(check_broker, settings, timeout=seconds)
        self._running: dict[str, asyncio.Future[None]] = {}

    async def report(self) -> HealthReport:
        names = list(self._probes)
        results = await asyncio.gather(*(self._check(name) for name in names))
        checks = dict(zip(names, results, strict=True))
        failing = [name for name, result in checks.items() if result.status != "ok"]
        return HealthReport(status="failing" if failing else "ok", checks=checks, failing=failing)

    async def _check(self, name: str) -> CheckResult:
        started = time.monotonic()
        reason: str | None = None
        running = self._running.get(name)
        if running is None or running.done():
            running = _in_daemon_thread(name, self._probes[name])
            self._running[name] = running
        try:
            await asyncio.wait_for(asyncio.shield(running), self._seconds)
        except TimeoutError:
            logger.warning("health check %s: no answer within %g s", name, self._seconds)
            reason = f"no answer within {self._seconds:g} s"
        except Exception:
            logger.warning("health check %s failed", name, exc_info=True)
            reason = "unavailable"
        took = round((time.monotonic() - started) * 1000, 1)
        if reason is None:
            return CheckResult(status="ok", ms=took)
        return CheckResult(status="failing", ms=took, reason=reason)


def _in_daemon_thread(name: str, probe: Callable[[], None]) -> asyncio.Future[None]:
    """Run ``probe`` in a daemon thread of its own, not the event loop's executor: a probe
    that hangs (a database that accepts and never answers) must not hold up the server's
    shutdown, which waits for the executor's threads."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[None] = loop.create_future()
    # Read the exception of a probe nobody awaits any more (it outlived its bound, whose
    # timeout was logged), so it is not reported as never retrieved.
    outcome.add_done_callback(lambda done: done.cancelled() or done.exception())

    def run() -> None:
        error: BaseException | None = None
        try:
            probe()
        except Exception as raised:  # handed to the awaiting check, which logs it
            error = raised
        with contextlib.suppress(RuntimeError):  # the event loop has closed meanwhile
            loop.call_soon_threadsafe(_settle, outcome, error)

    threading.Thread(target=run, name=f"health-{name}", daemon=True).start()
    return outcome


def _settle(outcome: asyncio.Future[None], error: BaseException | None) -> None:
    if outcome.done():
        return
    if error is None:
        outcome.set_result(None)
    else:
        outcome.set_exception(error)
