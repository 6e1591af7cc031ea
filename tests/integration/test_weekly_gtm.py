"""The weekly GTM run end to end: the four specialists over the sample company, checkpointed
and recorded; one failing or slow section leaves the digest standing."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pytest

from agents.finance import kpis as kpis_module
from agents.finance.forecast import forecast_revenue
from agents.finance.kpis import WeeklyKpis, weekly_kpis
from agents.finance.weeks import weekly_revenue
from agents.specialist import Report, Specialist, SpecialistAgent, TeamFactory
from agents.support.tickets import ticket_week
from controlroom.services import Services
from controlroom.team import team_factory
from integrations.llm import LanguageModel
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from workflows.digest import Digest
from workflows.digest_actions import WinbackAction
from workflows.digest_render import digest_text
from workflows.runtime import open_checkpointer, run_config
from workflows.weekly_gtm import build_weekly_gtm, run_weekly_gtm


class _Raising:
    """A specialist whose libraries will not load and whose weekly section raises."""

    def __init__(self, name: Specialist) -> None:
        self.name: Specialist = name
        self.job = "fails"

    def answer(self, request: str) -> Report:
        raise NotImplementedError

    def warm_up(self) -> None:
        raise ImportError(f"{self.name}'s chart library is missing")

    def weekly_section(self) -> Report:
        raise RuntimeError(f"{self.name} warehouse query failed")


class _Stuck:
    """A specialist whose weekly section waits until the test lets it go."""

    def __init__(self, name: Specialist, release: threading.Event) -> None:
        self.name: Specialist = name
        self.job = "slow"
        self._release = release

    def answer(self, request: str) -> Report:
        raise NotImplementedError

    def warm_up(self) -> None:
        """Nothing to load."""

    def weekly_section(self) -> Report:
        self._release.wait(timeout=10)
        return Report(agent=self.name, title="late", text="late")


class _Recording:
    """A specialist that notes when it loads its libraries and when its section runs."""

    def __init__(self, name: Specialist, events: list[str]) -> None:
        self.name: Specialist = name
        self.job = "records"
        self._events = events

    def answer(self, request: str) -> Report:
        raise NotImplementedError

    def warm_up(self) -> None:
        self._events.append(f"warm {self.name}")

    def weekly_section(self) -> Report:
        self._events.append(f"section {self.name}")
        return Report(agent=self.name, title=self.name, text="ok")


@pytest.fixture
def control_room(sample_warehouse: Warehouse, services: Services) -> Services:
    """Services over the sample company in this test's var/ (no knowledge base)."""
    return services


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let a stuck section's thread finish


def _replacing(services: Services, **replacements: SpecialistAgent) -> TeamFactory:
    real = team_factory(services, None)

    def build(model: LanguageModel) -> Mapping[Specialist, SpecialistAgent]:
        return {**real(model), **replacements}

    return build


def _run(services: Services, team: TeamFactory, **options) -> Digest:
    options.setdefault("database_url", services.settings.effective_database_url)
    options.setdefault("state", services.state)
    return run_weekly_gtm(
        model=services.llm,
        team=team,
        charts_dir=services.settings.var_dir / "charts",
        started_by="U0MARKETER",
        trigger="command",
        **options,
    )


def test_the_weekly_run_on_the_sample_company_has_every_section_with_the_tools_figures(
    control_room: Services,
) -> None:
    digest = _run(control_room, team_factory(control_room, None))

    with control_room.warehouse.connect() as connection:
        kpis = weekly_kpis(connection)
        history = weekly_revenue(connection)
        tickets = ticket_week(connection, kpis.week_start)
    forecast = forecast_revenue(history, weeks=8)
    headline = {kpi.name: kpi for kpi in digest.headline}
    assert digest.unavailable == []
    assert digest.week_start == kpis.week_start and digest.week_end == kpis.week_end
    assert headline["revenue"].value == kpis.revenue.value
    assert headline["revenue"].previous == kpis.revenue.previous
    assert headline["revenue"].change_ratio == kpis.revenue.change_ratio
    assert headline["blended_roas"].value == kpis.blended_roas.value
    channels = {row.channel: row for row in digest.channels}
    assert set(channels) == {channel.channel for channel in kpis.channels}
    for channel in kpis.channels:
        assert channels[channel.channel].roas == channel.roas.value
        assert channels[channel.channel].spend == channel.spend.value
    assert digest.forecast is not None
    assert digest.forecast.total == sum(week.revenue for week in forecast.weeks)
    assert digest.support is not None
    assert (digest.support.tickets, digest.support.escalated) == (
        tickets.tickets,
        tickets.escalated,
    )
    assert digest.churn is not None and digest.churn.at_risk_customers > 0
    assert digest.cohort is not None and digest.movements
    assert set(digest.prose) == {"marketing", "finance", "insights", "support"}
    assert {(chart.section, chart.title) for chart in digest.charts} == {
        ("finance", "Weekly revenue"),
        ("insights", "Cohort retention"),
    }
    assert all(chart.png().startswith(b"\x89PNG") for chart in digest.charts)
    # The sample week: 14 customers moved into At Risk, above the default 10.
    assert [action.kind for action in digest.recommended_actions] == ["winback"]
    (winback,) = digest.recommended_actions
    assert isinstance(winback, WinbackAction) and winback.segment == "At Risk"

    run = control_room.state.get_run(digest.run_id)
    assert (run.workflow, run.status) == ("weekly_gtm", "succeeded")
    assert (run.started_by, run.trigger) == ("U0MARKETER", "command")
    assert control_room.state.audit_entries(run_id=digest.run_id) == []


def test_every_specialist_loads_its_libraries_before_any_section_runs(
    control_room: Services,
) -> None:
    events: list[str] = []
    team = {name: _Recording(name, events) for name in ("marketing", "finance", "support")}

    _run(control_room, _replacing(control_room, **team))

    warmed = [event for event in events if event.startswith("warm")]
    assert len(warmed) == 3 and events[:3] == warmed
    assert sorted(events[3:]) == ["section finance", "section marketing", "section support"]


def test_one_specialist_raising_leaves_its_section_unavailable_and_the_rest_present(
    control_room: Services,
) -> None:
    digest = _run(control_room, _replacing(control_room, finance=_Raising("finance")))

    assert [(u.section, u.reason) for u in digest.unavailable] == [
        ("finance", "RuntimeError: finance warehouse query failed")
    ]
    assert digest.headline == [] and digest.forecast is None
    assert digest.channels and digest.support is not None and digest.churn is not None
    assert "- Finance: unavailable" in digest_text(digest)
    run = control_room.state.get_run(digest.run_id)
    assert (run.status, run.error) == (
        "partial",
        "1 of 4 sections unavailable: finance (RuntimeError: finance warehouse query failed)",
    )
    (entry,) = control_room.state.audit_entries(run_id=digest.run_id)
    assert (entry.action, entry.actor) == ("section_unavailable", "controlroom")
    assert entry.detail == {
        "section": "finance",
        "error": "RuntimeError: finance warehouse query failed",
    }


@pytest.mark.slow  # waits out a section's time limit (~5 s)
def test_a_specialist_slower_than_the_time_limit_is_unavailable(
    control_room: Services, release: threading.Event
) -> None:
    team = _replacing(control_room, insights=_Stuck("insights", release))

    # Long enough for the real sections on a loaded machine; the stuck one never finishes.
    digest = _run(control_room, team, section_timeout=5.0)

    assert [(u.section, u.reason) for u in digest.unavailable] == [
        ("insights", "timed out after 5 s")
    ]
    assert digest.movements == [] and digest.churn is None
    assert digest.headline and digest.support is not None
    run = control_room.state.get_run(digest.run_id)
    assert (run.status, run.error) == (
        "partial",
        "1 of 4 sections unavailable: insights (timed out after 5 s)",
    )


def test_the_run_is_checkpointed_on_the_state_database(
    control_room: Services, database_url: str
) -> None:
    state = StateStore(database_url)
    state.migrate()
    real = team_factory(control_room, None)

    def quick(model: LanguageModel) -> Mapping[Specialist, SpecialistAgent]:
        team = real(model)
        return {"marketing": team["marketing"], "support": team["support"]}

    try:
        digest = _run(control_room, quick, state=state, database_url=database_url)
        run = state.get_run(digest.run_id)
    finally:
        state.close()

    assert (run.status, run.started_by, run.trigger) == ("partial", "U0MARKETER", "command")
    with open_checkpointer(database_url) as saver:
        graph = build_weekly_gtm({}, charts_dir=Path("unused")).compile(checkpointer=saver)
        snapshot = graph.get_state(run_config(digest.run_id))
    assert snapshot.next == ()
    assert Digest.model_validate(snapshot.values["digest"]) == digest.model_copy(
        update={"cost": Digest.model_fields["cost"].default}
    )
    assert {s["agent"] for s in snapshot.values["sections"]} == {"marketing", "support"}
    assert [u.section for u in digest.unavailable] == ["finance", "insights"]


def test_the_digest_computes_last_weeks_kpis_once_for_finance_and_marketing(
    control_room: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[object] = []
    real = kpis_module.weekly_kpis

    def counted(connection: duckdb.DuckDBPyConnection) -> WeeklyKpis:
        computed.append(connection)
        return real(connection)

    monkeypatch.setattr(kpis_module, "weekly_kpis", counted)

    digest = _run(control_room, team_factory(control_room, None))

    assert len(computed) == 1
    assert digest.headline and digest.channels  # finance's and marketing's, from the one pass
