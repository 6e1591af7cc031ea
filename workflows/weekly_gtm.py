"""The weekly GTM run: Marketing, Finance, Insights and Support at once, then one digest.

``build_weekly_gtm(team, ...)`` returns the uncompiled graph: ``START`` sends one task per
specialist (in parallel, as the supervisor does), each runs the specialist's
``weekly_section()`` under a time limit, and ``aggregate`` builds the ``Digest``. A specialist
that raises or overruns gives a section marked unavailable, never no digest.

Two choices worth knowing:

- **Time limit.** LangGraph's own ``add_node(..., timeout=)`` works for async nodes only, raises
  ``NodeTimeoutError`` (which fails the whole run) and needs an async checkpointer, while the
  state store's savers are sync. So each section runs in a daemon thread that the node waits for
  at most ``section_timeout`` seconds; a late section is reported unavailable and its thread is
  left to finish on its own (Python cannot stop a thread; its result is dropped).
- **Charts.** The checkpoint keeps JSON-like state only (sections' facts and prose, the digest as
  a dict): the PNGs (100–200 kB each) are written under ``charts_dir/<run id>/`` and the digest
  holds their paths.

``run_weekly_gtm(...)`` records the run (who, how, status, cost), writes each unavailable
section's error to the audit log, appends the digest's rows to a spreadsheet when one is given,
and returns the digest. The run's status tells the truth: "partial" when a section (or the
spreadsheet) is missing, "failed" when no section could be written.
"""

from __future__ import annotations

import logging
import operator
import queue
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from agents.specialist import SPECIALISTS, Report, Specialist, SpecialistAgent, TeamFactory
from integrations.llm import LanguageModel
from integrations.sheets import DigestSheet, SheetsError
from integrations.statestore import StateStore, Trigger
from integrations.warehouse import WarehouseNotSeededError
from workflows.digest import Digest, DigestChart, DigestCost, Unavailable, digest_from_sections
from workflows.digest_actions import ActionRules
from workflows.digest_render import SHEET_HEADER, digest_rows
from workflows.runtime import (
    RecordedRun,
    open_checkpointer,
    recorded_run,
    run_config,
    start_or_continue,
)

logger = logging.getLogger(__name__)

WORKFLOW = "weekly_gtm"
# The audit action recording a section the digest had to leave out (read by App Home's health).
SECTION_UNAVAILABLE = "section_unavailable"
# The audit action recording a support section whose knowledge-gap report failed.
KNOWLEDGE_GAPS_UNAVAILABLE = "knowledge_gaps_unavailable"
# Each section's time limit: the slowest on the sample company (insights) takes about 1 s
# offline; a language model adds a few seconds per section.
SECTION_TIMEOUT_SECONDS = 120.0

SectionStatus = Literal["ok", "unavailable"]
# Told each section's outcome as it finishes (from the graph's worker threads), e.g. to update
# a progress message; it must be thread-safe, and a failure in it is logged, never the run's.
SectionProgress = Callable[[Specialist, SectionStatus], None]


class SectionResult(TypedDict):
    """One specialist's section as kept in the checkpoint (JSON-like values only)."""

    agent: Specialist
    status: SectionStatus
    text: str
    facts: dict[str, Any]
    charts: list[dict[str, str]]  # {"title", "path"}
    error: str | None


class WeeklyGtmState(TypedDict, total=False):
    run_id: str
    sections: Annotated[list[SectionResult], operator.add]
    digest: dict[str, Any]  # Digest.model_dump(mode="json")


class _SectionTask(TypedDict):
    run_id: str


def build_weekly_gtm(
    team: Mapping[Specialist, SpecialistAgent],
    *,
    charts_dir: Path,
    section_timeout: float = SECTION_TIMEOUT_SECONDS,
    rules: ActionRules | None = None,
    on_progress: SectionProgress | None = None,
) -> StateGraph[WeeklyGtmState]:
    """The weekly GTM graph over ``team`` (uncompiled); the input is ``{"run_id": ...}``.
    ``on_progress`` hears each section's status as it finishes."""
    graph: StateGraph[WeeklyGtmState] = StateGraph(WeeklyGtmState)

    def fan_out(state: WeeklyGtmState) -> list[Send] | str:
        if not team:
            return "aggregate"
        return [Send(name, _SectionTask(run_id=state["run_id"])) for name in team]

    def aggregate(state: WeeklyGtmState) -> WeeklyGtmState:
        sections = {section["agent"]: section for section in state.get("sections", [])}
        unavailable = [
            Unavailable(section=name, reason=section["error"] or "unavailable")
            for name, section in sections.items()
            if section["status"] == "unavailable"
        ]
        unavailable += [
            Unavailable(section=name, reason=f"no {name} specialist in the team")
            for name in SPECIALISTS
            if name not in sections
        ]
        ok = {name: s for name, s in sections.items() if s["status"] == "ok"}
        digest = digest_from_sections(
            state["run_id"],
            {name: section["facts"] for name, section in ok.items()},
            prose={name: section["text"] for name, section in ok.items()},
            unavailable=unavailable,
            charts=[
                DigestChart(section=name, title=chart["title"], path=Path(chart["path"]))
                for name in SPECIALISTS
                if name in ok
                for chart in ok[name]["charts"]
            ],
            rules=rules,
        )
        return {"digest": digest.model_dump(mode="json")}

    for name, specialist in team.items():
        node = _SectionNode(
            specialist, timeout=section_timeout, charts_dir=charts_dir, on_progress=on_progress
        )
        graph.add_node(name, node, input_schema=_SectionTask)
        graph.add_edge(name, "aggregate")
    graph.add_node("aggregate", aggregate)
    graph.add_conditional_edges(START, fan_out, [*team, "aggregate"])
    graph.add_edge("aggregate", END)
    return graph


class _SectionNode:
    """The graph node of one specialist: its weekly section, within the time limit."""

    def __init__(
        self,
        specialist: SpecialistAgent,
        *,
        timeout: float,
        charts_dir: Path,
        on_progress: SectionProgress | None = None,
    ) -> None:
        self._specialist = specialist
        self._timeout = timeout
        self._charts_dir = charts_dir
        self._on_progress = on_progress

    def __call__(self, state: _SectionTask) -> WeeklyGtmState:
        written = self._write(state)
        if self._on_progress is not None:
            for section in written.get("sections", []):
                _report(self._on_progress, section["agent"], section["status"])
        return written

    def _write(self, state: _SectionTask) -> WeeklyGtmState:
        name = self._specialist.name
        try:
            report = _within(self._timeout, self._specialist.weekly_section, name)
        except WarehouseNotSeededError:
            raise  # no section can be written: the person must seed or import data first
        except _TimedOutError:
            logger.warning("weekly section %s timed out after %ss", name, self._timeout)
            return {"sections": [_unavailable(name, f"timed out after {self._timeout:g} s")]}
        except Exception as error:
            # One section failing must not sink the digest: the traceback goes to the log, the
            # error to the run's audit log, and the reader sees the section unavailable.
            logger.exception("weekly section %s failed", name)
            return {"sections": [_unavailable(name, f"{type(error).__name__}: {error}")]}
        charts = [
            self._save(state["run_id"], name, chart.title, chart.png) for chart in report.charts
        ]
        section = SectionResult(
            agent=name,
            status=report.status,
            text=report.text,
            facts=report.facts,
            charts=charts,
            error=None
            if report.status == "ok"
            else report.reason or "the specialist reported itself unavailable",
        )
        return {"sections": [section]}

    def _save(self, run_id: str, section: str, title: str, png: bytes) -> dict[str, str]:
        folder = self._charts_dir / run_id
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        path = folder / f"{section}-{slug}.png"
        path.write_bytes(png)
        return {"title": title, "path": str(path)}


class _TimedOutError(Exception):
    pass


def _within(seconds: float, work: Callable[[], Report], name: str) -> Report:
    """``work()``'s result, or ``_TimedOutError`` after ``seconds`` (the thread runs on)."""
    outcome: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            outcome.put((True, work()))
        except BaseException as error:  # handed to the waiting node, which decides
            outcome.put((False, error))

    # A daemon thread: a section that never returns must not keep the process alive.
    threading.Thread(target=run, name=f"weekly-{name}", daemon=True).start()
    try:
        succeeded, value = outcome.get(timeout=seconds)
    except queue.Empty:
        raise _TimedOutError from None
    if not succeeded:
        raise value
    report: Report = value
    return report


def _report(on_progress: SectionProgress, name: Specialist, status: SectionStatus) -> None:
    try:
        on_progress(name, status)
    except Exception:
        # Progress is for show: a listener that fails must not cost the section.
        logger.warning("progress report for section %s failed", name, exc_info=True)


def _unavailable(name: Specialist, error: str) -> SectionResult:
    return SectionResult(
        agent=name, status="unavailable", text="", facts={}, charts=[], error=error
    )


def run_weekly_gtm(
    *,
    state: StateStore,
    model: LanguageModel,
    team: TeamFactory,
    database_url: str,
    charts_dir: Path,
    started_by: str,
    trigger: Trigger,
    sheet: DigestSheet | None = None,
    section_timeout: float = SECTION_TIMEOUT_SECONDS,
    rules: ActionRules | None = None,
    on_progress: SectionProgress | None = None,
) -> Digest:
    """Run the weekly GTM workflow once, checkpointed on the state database, and return the
    digest; ``on_progress`` hears each section's status as it finishes.

    The run is recorded (status, who, how, tokens and cost); each unavailable section's error
    is in the audit log as ``section_unavailable`` (a failed knowledge-gap report as
    ``knowledge_gaps_unavailable``). Some sections unavailable (or the gap report, or the rows
    not written to the spreadsheet) make the run "partial", every section unavailable "failed",
    the reason naming them; the digest is returned either way. A failure of the workflow itself
    (the warehouse not seeded, the checkpointer unreachable) marks the run failed and propagates.
    A queue task delivered again after its worker died continues the run from its checkpoint
    (the sections that finished are not asked again); what follows the graph (the audit
    entries, the spreadsheet) runs again if the worker died there.
    """
    with recorded_run(state, WORKFLOW, model=model, started_by=started_by, trigger=trigger) as run:
        agents = team(run.model)
        _warm_up(agents)
        graph = build_weekly_gtm(
            agents,
            charts_dir=charts_dir,
            section_timeout=section_timeout,
            rules=rules,
            on_progress=on_progress,
        )
        with open_checkpointer(database_url) as saver:
            final = graph.compile(checkpointer=saver).invoke(
                start_or_continue(saver, run.run_id, WeeklyGtmState(run_id=run.run_id)),
                run_config(run.run_id),
                durability="sync",
            )
        digest = Digest.model_validate(final["digest"])
        for item in digest.unavailable:
            state.record_audit(
                SECTION_UNAVAILABLE,
                actor="controlroom",
                run_id=run.run_id,
                section=item.section,
                error=item.reason,
            )
        _judge(run, digest)
        gaps = digest.knowledge_gaps
        if gaps is not None and gaps.status == "unavailable":
            state.record_audit(
                KNOWLEDGE_GAPS_UNAVAILABLE,
                actor="controlroom",
                run_id=run.run_id,
                error=gaps.reason,
            )
            run.degrade(f"knowledge-gap report unavailable: {gaps.reason}")
        if sheet is not None:
            _write_sheet(sheet, digest, state, run)
    cost = run.cost
    return digest.model_copy(
        update={
            "cost": DigestCost(
                calls=cost.calls,
                input_tokens=cost.input_tokens,
                output_tokens=cost.output_tokens,
                usd=cost.usd,
            )
        }
    )


def _warm_up(agents: Mapping[Specialist, SpecialistAgent]) -> None:
    """Each specialist loads its libraries before the sections run side by side. One that
    cannot is only logged: its section then fails on its own, and says why."""
    for name, agent in agents.items():
        try:
            agent.warm_up()
        except Exception:
            logger.warning("warming up the %s section failed", name, exc_info=True)


def _judge(run: RecordedRun, digest: Digest) -> None:
    """Partial when some sections are unavailable, failed when all are; the reason names each
    missing section and why."""
    if not digest.unavailable:
        return
    missing = "; ".join(f"{item.section} ({item.reason})" for item in digest.unavailable)
    if len(digest.unavailable) >= len(SPECIALISTS):
        run.fail(f"every section unavailable: {missing}")
    else:
        count = f"{len(digest.unavailable)} of {len(SPECIALISTS)} sections"
        run.degrade(f"{count} unavailable: {missing}")


def _write_sheet(sheet: DigestSheet, digest: Digest, state: StateStore, run: RecordedRun) -> None:
    """Append the digest's rows; a spreadsheet that is down costs the rows (and makes the run
    partial), not the digest."""
    try:
        written = sheet.append_rows(SHEET_HEADER, digest_rows(digest))
    except SheetsError as error:
        logger.warning("digest rows not written: %s", error)
        state.record_audit(
            "sheet_unavailable", actor="controlroom", run_id=digest.run_id, error=str(error)
        )
        run.degrade(f"digest rows not written to the spreadsheet: {error}")
        return
    logger.info("appended %d digest rows to %s", written, sheet.name)


def stored_digest(database_url: str, run_id: str) -> Digest | None:
    """The digest a finished run left in its checkpoint, read back without re-running anything
    (its cost is in the run history, not here); None when the run left no digest."""
    with open_checkpointer(database_url) as saver:
        saved = saver.get_tuple(run_config(run_id))
    if saved is None:
        return None
    digest = saved.checkpoint["channel_values"].get("digest")
    return Digest.model_validate(digest) if digest else None
