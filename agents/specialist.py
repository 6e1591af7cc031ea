"""What every specialist is to the weekly digest: a name, a job, and ``weekly_section() ->
Report``, its part of last complete week (``ask`` calls each specialist's own tools)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from integrations.llm import LanguageModel, Written
from prompts import AgentPrompts

Specialist = Literal["marketing", "finance", "insights", "support"]
SPECIALISTS: tuple[Specialist, ...] = ("marketing", "finance", "insights", "support")
ReportStatus = Literal["ok", "unavailable"]


@dataclass(frozen=True, slots=True)
class Chart:
    """A PNG to post beside a report."""

    title: str
    png: bytes


@dataclass(frozen=True, slots=True)
class Report:
    """A specialist's answer: prose for a person, the computed facts behind every figure in it,
    and whether the prose came from the model or the offline writer; an unavailable report
    says why in ``reason``."""

    agent: Specialist
    title: str
    text: str
    facts: dict[str, Any] = field(default_factory=dict)
    written_by: Literal["model", "offline"] = "offline"
    charts: tuple[Chart, ...] = ()
    status: ReportStatus = "ok"
    reason: str | None = None


class SpecialistAgent(Protocol):
    """A specialist: its tools compute, its writer words the result."""

    @property
    def name(self) -> Specialist: ...

    @property
    def job(self) -> str:
        """One line for help texts."""
        ...

    def weekly_section(self) -> Report:
        """The specialist's part of the weekly GTM digest for the last complete week: every
        figure in ``facts``, its prose, and its charts."""
        ...


def write_text(
    model: LanguageModel,
    prompts: AgentPrompts,
    agent: Specialist,
    task: str,
    facts: dict[str, Any],
    *,
    offline: str,
    **values: Any,
) -> Written:
    """Word ``facts`` with the agent's ``task`` prompt; text quoting a figure not in the facts
    (or no model at all) gives ``offline`` instead."""
    prompt = prompts.tasks[task].render(facts=facts, **values)
    return model.write(agent, prompts.system, prompt, facts, offline_text=offline)


# Builds the specialists over a (metered) model: one team per run, so each run has its own cost.
TeamFactory = Callable[[LanguageModel], Mapping[Specialist, SpecialistAgent]]
