"""The deployment ``bench/scale.py`` measures, on loopback: ``controlroom`` web and worker
subprocesses, each in a process group of its own and stopped as whole groups, their environment
(nothing from the caller's reaches a real service), a throwaway PostgreSQL database and this
run's own Redis key prefix, both removed afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import psycopg
import redis
from pydantic import AliasChoices

from controlroom.settings import Settings

REPO = Path(__file__).resolve().parents[1]
STOP_SECONDS = 30.0  # a process's warm shutdown (SIGTERM) before it is killed
START_SECONDS = 300.0  # imports, services, and the first answer on a busy machine
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Processes:
    """``controlroom`` subprocesses, each in a process group (a session) of its own, logging to
    a file: stopped as whole groups on exit, SIGTERM first (a warm shutdown), then SIGKILL."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self._folder = folder
        self._env = env
        self._started: list[tuple[str, subprocess.Popen[bytes], Path]] = []
        self._killed: set[int] = set()

    @property
    def workers(self) -> list[subprocess.Popen[bytes]]:
        return [process for role, process, _ in self._started if role == "worker"]

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def run(self, *arguments: str) -> None:
        """Run one command to its end (in the bench's folder, so no .env is read)."""
        log = self._folder / f"{arguments[0]}.log"
        if self._spawn(log, arguments, own_group=False).wait():
            raise SystemExit(f"controlroom {' '.join(arguments)} failed:\n{tail(log)}")

    def start(self, role: str, *arguments: str) -> subprocess.Popen[bytes]:
        log = self._folder / f"{role}-{len(self._started)}.log"
        process = self._spawn(log, arguments, own_group=True)
        self._started.append((role, process, log))
        return process

    def _spawn(
        self, log: Path, arguments: tuple[str, ...], *, own_group: bool
    ) -> subprocess.Popen[bytes]:
        """``controlroom -v <arguments>`` in the bench's folder, logging to ``log``; in a
        process group (a session) of its own when ``own_group``."""
        with log.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "controlroom.cli", "-v", *arguments],
                env=self._env,
                cwd=self._folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=own_group,
            )

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each role's process groups (their children included:
        the worker's pool process), from /proc; empty where there is none."""
        roles = {process.pid: role for role, process, _ in self._started}
        used: dict[str, float] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # it has exited meanwhile
            role = roles.get(int(fields[2]))  # its process group
            if role is not None:
                ticks = int(fields[11]) + int(fields[12])  # utime + stime
                used[role] = used.get(role, 0.0) + ticks / CLOCK_TICKS
        return used

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """kill -9 of ``process`` and its whole group (a worker's pool processes too), as a
        machine would lose it."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self._killed.add(process.pid)

    def check(self) -> None:
        """Stop the bench, with its log, when a process has exited on its own."""
        for role, process, log in self._started:
            if process.pid not in self._killed and process.poll() is not None:
                raise SystemExit(f"the {role} process exited ({process.returncode}):\n{tail(log)}")

    def stop_all(self) -> None:
        running = [process for _, process, _ in self._started if process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in running:
            # The whole group: the worker's pool processes too, had they outlived it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def wait_healthy(port: int, processes: Processes) -> None:
    """Until the web process's /healthz answers 200 (its database and broker reached)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        processes.check()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if json.load(reply).get("status") == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise SystemExit("the web process did not become healthy in time")


def environment(
    var_dir: Path, slack: dict[str, str], database_url: str, redis_url: str, prefix: str
) -> dict[str, str]:
    """The children's environment, as a shell would set it: the caller's, less every variable
    the settings read (nothing may reach a real service), plus this run's (``slack``: the
    sandbox's address and secrets, ``bench.slack_ack_app.slack_environment``)."""
    read: set[str] = set()
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        read.update(choice for choice in choices if isinstance(choice, str))
    inherited = os.environ.items()  # noqa: TID251
    env = {name: value for name, value in inherited if name not in read}
    python_path = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env |= {
        "PYTHONPATH": python_path,
        "CONTROLROOM_VAR_DIR": str(var_dir),
        **slack,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BROKER_PREFIX": prefix,
    }
    if os.geteuid() == 0:
        env["C_FORCE_ROOT"] = "1"  # the worker refuses pickled tasks as root otherwise
    return env


@contextlib.contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server at ``admin_url``, for this run's state store,
    dropped afterwards (bench/scale.py, bench/send.py, the scale-out suite)."""
    name = f"controlroom_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rpartition("/")[0].split("://", 1)[1]
    try:
        yield f"postgresql+psycopg://{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def broker_prefix(redis_url: str) -> Iterator[str]:
    """This run's ``BROKER_PREFIX``; every key under it is deleted afterwards."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    client.ping()
    prefix = f"controlroom-scale-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


def stop_on_sigterm() -> None:
    """SIGTERM (and SIGHUP) unwind as Ctrl-C does, so every child group is stopped."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
