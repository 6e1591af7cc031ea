"""What every specialist is to the weekly digest: a name, a job, and ``weekly_section() ->
Report``, its part of last complete week (``ask`` calls each specialist's own tools)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from integrations.llm import Fact, LanguageModel, SlotText, Written
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
    """A specialist's answer: prose for a person (plain text, escaped by whichever view shows
    it), the computed facts behind every figure in it, and whether the prose came from the model
    or the offline writer; an unavailable report says why in ``reason``."""

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

    def warm_up(self) -> None:
        """Import now what ``weekly_section`` imports where it is used (``import_now``)."""
        ...


def import_now(*modules: str) -> None:
    """Import ``modules`` before the weekly sections run side by side. A library imported
    inside one section's thread (scipy, matplotlib: about a second) holds the import
    lock and competes for the interpreter with the other sections, so it is loaded first."""
    for module in modules:
        importlib.import_module(module)


class FactSheet:
    """The facts one text may cite, by name, and their slots for the offline text.

    A specialist adds every figure it computed (with its unit), then writes its offline text with
    ``slot(name)``: the slot, or the words the offline text has always shown for a figure that
    does not exist (``missing``: "—", "no comparison"), since ``render_fact`` would show "n/a".
    """

    def __init__(self) -> None:
        self._by_name: dict[str, Fact] = {}

    def add(self, *facts: Fact) -> None:
        for fact in facts:
            if fact.name in self._by_name:
                raise ValueError(f"two facts are named {fact.name!r}")
            self._by_name[fact.name] = fact

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Fact:
        return self._by_name[name]

    def slot(self, name: str, *, missing: str = "—") -> str:
        """``{name}`` for the offline text, or ``missing`` when the fact holds no figure."""
        fact = self._by_name[name]
        return missing if fact.unit != "text" and fact.value is None else f"{{{name}}}"

    @property
    def facts(self) -> tuple[Fact, ...]:
        return tuple(self._by_name.values())


def slot_stems(names: Iterable[str], *, prefix: str) -> dict[str, str]:
    """A slot-name stem for each name, unique among them: ``"Paid search"`` →
    ``"channel_paid_search"``, ``"Can't Lose Them"`` → ``"segment_can_t_lose_them"``."""
    stems: dict[str, str] = {}
    for name in names:
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        base = f"{prefix}_{slug}" if slug else prefix
        stem, copy = base, 1
        while stem in stems.values():
            copy += 1
            stem = f"{base}_{copy}"
        stems[name] = stem
    return stems


def write_slot_text(
    model: LanguageModel,
    prompts: AgentPrompts,
    agent: Specialist,
    task: str,
    sheet: FactSheet,
    *,
    offline: SlotText,
    **values: Any,
) -> Written:
    """Word ``sheet``'s facts with the agent's ``task`` prompt through slots, as plain text (the
    digest and ``ask`` escape it where they show it): every figure is a fact rendered by code; a
    text with a figure of its own is re-asked once, then ``offline`` is used."""
    prompt = prompts.tasks[task].render(**values)
    return model.write_slots(
        agent, prompts.system, prompt, sheet.facts, offline=offline, mrkdwn=False
    )


# Builds the specialists over a (metered) model: one team per run, so each run has its own cost.
TeamFactory = Callable[[LanguageModel], Mapping[Specialist, SpecialistAgent]]
