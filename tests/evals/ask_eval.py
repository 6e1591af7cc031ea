"""The `ask` evaluation set: requests as the team writes them in Slack, each with its plans.

Two files share one format (their header comment states today, the calendar and the labelling
conventions): ``ask_dev.yaml``, the development half the planner's author may study, and
``ask_holdout.yaml``, the held-out half that is only ever measured (issue 14's acceptance).

``load_eval_set`` reads one file into typed cases whose expected plans are validated by the
planner's own models (``agents.planner.plans``). ``plans_match`` says whether a planner's plans
are the expected ones, and ``score`` runs a planner over cases and reports the exact-match
rates, the out-of-scope handling and every miss.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import permutations
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.planner.plans import (
    AnalysisPlan,
    CopyPlan,
    MetricsPlan,
    Plan,
    Plans,
    WinbackWhatIfPlan,
)
from integrations.warehouse.metrics.query import Filter
from policies.yamlfile import YamlFileError, read_yaml

DEV_SET = Path(__file__).with_name("ask_dev.yaml")
HOLDOUT_SET = Path(__file__).with_name("ask_holdout.yaml")
# Further development sets, written by other voices under the same header (planner tuning
# only), each by the prefix of its ids.
FURTHER_SETS = {
    "more": DEV_SET.with_name("ask_dev_more.yaml"),
    "d3": DEV_SET.with_name("ask_dev_third.yaml"),
    "d4": DEV_SET.with_name("ask_dev_fourth.yaml"),
    # customers' questions, out-of-scope asks and errands beside figures, mostly
    "d5": DEV_SET.with_name("ask_dev_fifth.yaml"),
}

Language = Literal["en", "de", "es", "fr"]
PlanFn = Callable[[str, date], Plans]

# The free-text field of each kind whose wording is the planner's own: the file may leave it
# out, and plans_match never compares it.
FREE_TEXT = {"support": "question", "clarify": "question", "decline": "reason"}
HANDLED_OUT_OF_SCOPE = frozenset({"decline", "clarify"})
_WORD = re.compile(r"[^\W_]+")


class EvalSetError(ValueError):
    """An evaluation file cannot be read or holds a bad case; the message names file and case."""


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One request, the day it is asked on, and the plans it should become."""

    id: str
    request: str
    lang: Language
    tags: tuple[str, ...]
    expected: Plans
    today: date

    @property
    def kind(self) -> str:
        """The expected plan's kind, or ``multi`` for a request that needs several plans."""
        kinds = [plan.kind for plan in self.expected.plans]
        return kinds[0] if len(kinds) == 1 else "multi"

    @property
    def out_of_scope(self) -> bool:
        return all(plan.kind == "decline" for plan in self.expected.plans)


@dataclass(frozen=True, slots=True)
class EvalSet:
    today: date
    cases: tuple[EvalCase, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CaseEntry(_Strict):
    id: str = Field(min_length=1)
    request: str = Field(min_length=1)
    lang: Language
    tags: tuple[str, ...] = ()
    plans: tuple[dict[str, Any], ...] = Field(min_length=1)


class _FileEntry(_Strict):
    today: date
    requests: tuple[_CaseEntry, ...] = Field(min_length=1)


def load_eval_set(path: Path) -> EvalSet:
    """The cases in ``path``, each expected plan validated by the planner's models."""
    try:
        entry = _FileEntry.model_validate(read_yaml(path))
    except YamlFileError as error:
        raise EvalSetError(str(error)) from None
    except ValidationError as error:
        raise EvalSetError(f"{path}: {_first_error(error)}") from None
    cases = []
    for case in entry.requests:
        plans = [_with_free_text(plan, case.request) for plan in case.plans]
        try:
            expected = Plans.model_validate({"plans": plans})
        except ValidationError as error:
            raise EvalSetError(f"{path}: {case.id}: {_first_error(error)}") from None
        cases.append(
            EvalCase(
                id=case.id,
                request=case.request,
                lang=case.lang,
                tags=case.tags,
                expected=expected,
                today=entry.today,
            )
        )
    return EvalSet(today=entry.today, cases=tuple(cases))


def _with_free_text(plan: dict[str, Any], request: str) -> dict[str, Any]:
    # The models require the text; the set leaves it out because no wording is expected.
    field = FREE_TEXT.get(str(plan.get("kind")))
    if field is None or plan.get(field):
        return plan
    return {**plan, field: request}


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"


def plans_match(expected: Plans, actual: Plans) -> bool:
    """True when ``actual`` holds the expected plans, in any order, field for field.

    Metrics compare as sets, filters as sets of (dimension, values) with values
    case-insensitive; a copy theme matches when each of its words is in the planned theme
    (case-insensitive, a plural s tolerated), and no theme matches only no theme; the wording
    of support questions, clarify questions and decline reasons is not compared.
    """
    if len(expected.plans) != len(actual.plans):
        return False
    return any(
        all(_plan_matches(want, got) for want, got in zip(expected.plans, order, strict=True))
        for order in permutations(actual.plans)
    )


def _plan_matches(want: Plan, got: Plan) -> bool:
    if isinstance(want, MetricsPlan) and isinstance(got, MetricsPlan):
        return (
            set(want.metrics) == set(got.metrics)
            and want.period == got.period
            and want.by == got.by
            and want.grain == got.grain
            and _filter_set(want.filters) == _filter_set(got.filters)
            and want.compare == got.compare
        )
    if isinstance(want, AnalysisPlan) and isinstance(got, AnalysisPlan):
        return want == got
    if isinstance(want, WinbackWhatIfPlan) and isinstance(got, WinbackWhatIfPlan):
        return want.segment == got.segment and _same_fraction(want.discount, got.discount)
    if isinstance(want, CopyPlan) and isinstance(got, CopyPlan):
        return want.format == got.format and theme_matches(want.theme, got.theme)
    return want.kind == got.kind and want.kind in FREE_TEXT


def _filter_set(filters: Sequence[Filter]) -> set[tuple[str, frozenset[str]]]:
    return {(f.dimension, frozenset(value.casefold() for value in f.values)) for f in filters}


def _same_fraction(want: float | None, got: float | None) -> bool:
    if want is None or got is None:
        return want is got
    return math.isclose(want, got, abs_tol=1e-9)


def theme_matches(expected: str | None, actual: str | None) -> bool:
    """Each word of the expected theme is in the actual one (a plural s either way is fine)."""
    if expected is None or actual is None:
        return expected is actual
    words = set(_WORD.findall(actual.casefold()))
    return all(
        word in words or f"{word}s" in words or (word.endswith("s") and word[:-1] in words)
        for word in _WORD.findall(expected.casefold())
    )


@dataclass(frozen=True, slots=True)
class Rate:
    hits: int
    total: int

    def __post_init__(self) -> None:
        if not 0 <= self.hits <= self.total or self.total < 1:
            raise ValueError(f"a rate needs 0 <= hits <= total and total >= 1 ({self})")

    @property
    def rate(self) -> float:
        return self.hits / self.total

    def __str__(self) -> str:
        return f"{self.rate:.2f} ({self.hits}/{self.total})"


@dataclass(frozen=True, slots=True)
class Miss:
    case: EvalCase
    actual: Plans


@dataclass(frozen=True, slots=True)
class EvalReport:
    """How a planner did on some cases: exact plans overall, by kind and by language; the share
    of out-of-scope requests it declined or clarified (None: the cases hold none); the misses."""

    exact: Rate
    by_kind: Mapping[str, Rate]
    by_lang: Mapping[str, Rate]
    out_of_scope: Rate | None
    misses: tuple[Miss, ...]

    def summary(self) -> str:
        """The figures and every miss with its expected and actual plans, for a terminal."""
        lines = [f"exact plan {self.exact}"]
        lines += [f"  {kind:<16} {rate}" for kind, rate in sorted(self.by_kind.items())]
        lines += [f"  lang {lang:<11} {rate}" for lang, rate in sorted(self.by_lang.items())]
        if self.out_of_scope is not None:
            lines.append(f"out of scope declined or clarified {self.out_of_scope}")
        for miss in self.misses:
            lines += [
                f"MISS {miss.case.id}: {miss.case.request}",
                f"  expected {describe(miss.case.expected)}",
                f"  actual   {describe(miss.actual)}",
            ]
        return "\n".join(lines)


def describe(plans: Plans) -> str:
    """The plans as compact JSON: each kind and the fields that differ from their defaults."""
    shown = []
    for plan in plans.plans:
        fields = plan.model_dump(mode="json", exclude_defaults=True)
        fields.pop(FREE_TEXT.get(plan.kind, ""), None)
        shown.append(json.dumps({"kind": plan.kind, **fields}, ensure_ascii=False))
    return "[" + ", ".join(shown) + "]"


def score(cases: Sequence[EvalCase], plan_fn: PlanFn) -> EvalReport:
    """Plan every case with ``plan_fn`` (request and the case's today) and compare."""
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_lang: dict[str, list[bool]] = defaultdict(list)
    handled: list[bool] = []
    misses = []
    for case in cases:
        actual = plan_fn(case.request, case.today)
        matched = plans_match(case.expected, actual)
        by_kind[case.kind].append(matched)
        by_lang[case.lang].append(matched)
        if case.out_of_scope:
            handled.append(all(plan.kind in HANDLED_OUT_OF_SCOPE for plan in actual.plans))
        if not matched:
            misses.append(Miss(case=case, actual=actual))
    return EvalReport(
        exact=Rate(hits=len(cases) - len(misses), total=len(cases)),
        by_kind={kind: _rate(results) for kind, results in by_kind.items()},
        by_lang={lang: _rate(results) for lang, results in by_lang.items()},
        out_of_scope=_rate(handled) if handled else None,
        misses=tuple(misses),
    )


def _rate(results: Sequence[bool]) -> Rate:
    return Rate(hits=sum(results), total=len(results))
