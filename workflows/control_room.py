"""The control room's state at a glance (Slack's App Home): the last weekly digest, each
specialist's health over the latest weekly runs, what waits for a decision, the latest runs.

Read from the run history, the audit log and the weekly run's checkpoint; nothing re-runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agents.specialist import SPECIALISTS, Specialist
from integrations.statestore import ApprovalRecord, AuditEntry, RunRecord, StateStore
from workflows.digest import Digest
from workflows.weekly_gtm import SECTION_UNAVAILABLE, stored_digest
from workflows.weekly_gtm import WORKFLOW as WEEKLY_GTM

HOME_RUNS = 10  # recent runs listed
HEALTH_RUNS = 5  # weekly runs an agent's error count looks back over
PENDING_READ = 100  # pending approvals read (App Home lists the first few and counts the rest)
SectionHealth = Literal["ok", "unavailable", "not run"]


@dataclass(frozen=True, slots=True)
class LastDigest:
    """The latest weekly digest (as its run's checkpoint kept it) and the run."""

    run: RunRecord
    digest: Digest


@dataclass(frozen=True, slots=True)
class AgentHealth:
    """One specialist over the latest weekly runs: how its last section went, how many of
    ``runs`` runs it failed in, and how long the last run took (sections run in parallel)."""

    agent: Specialist
    status: SectionHealth
    last_run: RunRecord | None
    errors: int
    runs: int
    seconds: float | None


@dataclass(frozen=True, slots=True)
class ControlRoom:
    """What App Home shows: the last digest, agent health, pending approvals, recent runs."""

    digest: LastDigest | None
    health: tuple[AgentHealth, ...]
    pending: tuple[ApprovalRecord, ...]
    recent: tuple[RunRecord, ...]


def read_control_room(state: StateStore, database_url: str) -> ControlRoom:
    """Read App Home's figures from the run history, the audit log and the last weekly run's
    checkpoint (nothing re-runs)."""
    weekly = [
        run
        for run in state.recent_runs(limit=HEALTH_RUNS, workflow=WEEKLY_GTM)
        if run.finished_at is not None
    ]
    audit = {run.run_id: state.audit_entries(run_id=run.run_id) for run in weekly}
    return ControlRoom(
        digest=last_digest(database_url, weekly),
        health=agent_health(weekly, audit),
        pending=tuple(state.approvals(status="pending", limit=PENDING_READ)),
        recent=tuple(state.recent_runs(limit=HOME_RUNS)),
    )


def last_digest(database_url: str, weekly: list[RunRecord]) -> LastDigest | None:
    """The newest weekly run's digest that has figures (succeeded, or partial: some sections
    unavailable), from its checkpoint on the state database (``weekly`` is newest first)."""
    for run in weekly:
        if run.status not in ("succeeded", "partial"):
            continue
        digest = stored_digest(database_url, run.run_id)
        if digest is not None:
            return LastDigest(run=run, digest=digest)
    return None


def agent_health(
    weekly: list[RunRecord], audit: dict[str, list[AuditEntry]]
) -> tuple[AgentHealth, ...]:
    """Each specialist's health over the finished weekly runs (newest first): a failed run
    counts against every specialist, an unavailable section against its own."""

    def failed(agent: Specialist, run: RunRecord) -> bool:
        return run.status == "failed" or any(
            e.action == SECTION_UNAVAILABLE and e.detail.get("section") == agent
            for e in audit.get(run.run_id, [])
        )

    last = weekly[0] if weekly else None
    seconds = None
    if last is not None and last.finished_at is not None:
        seconds = (last.finished_at - last.started_at).total_seconds()
    health = []
    for agent in SPECIALISTS:
        status: SectionHealth = "not run"
        if last is not None:
            status = "unavailable" if failed(agent, last) else "ok"
        health.append(
            AgentHealth(
                agent=agent,
                status=status,
                last_run=last,
                errors=sum(failed(agent, run) for run in weekly),
                runs=len(weekly),
                seconds=seconds,
            )
        )
    return tuple(health)
