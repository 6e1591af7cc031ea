"""The rules planner on the `ask` evaluation set (issue 14's acceptance), both halves.

The held-out half is only measured, never tuned on. Each half's summary (rates by kind and
language, and every miss) is written to the terminal; ``pytest -s`` shows it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import policies
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import MetricCatalog
from policies import load_policies
from tests.evals.ask_eval import (
    DEV_SET,
    FURTHER_SETS,
    HOLDOUT_SET,
    EvalReport,
    load_eval_set,
    score,
)

HELD_OUT_FLOOR = 0.90
# The development half and the further development sets written by other voices.
DEV_SETS = (DEV_SET, *FURTHER_SETS.values())


@pytest.fixture(scope="module")
def planner() -> RulesPlanner:
    segments = load_policies(Path(policies.__file__).parent).rfm.segment_names
    return RulesPlanner(MetricCatalog.load(), list(segments))


def _report(planner: RulesPlanner, path: Path, title: str) -> EvalReport:
    report = score(load_eval_set(path).cases, planner.plan)
    sys.stdout.write(f"\n{title} ({path.name})\n{report.summary()}\n")
    return report


def test_held_out_requests_are_planned_exactly_and_none_out_of_scope_is_answered(
    planner: RulesPlanner,
) -> None:
    report = _report(planner, HOLDOUT_SET, "held-out half")
    assert report.out_of_scope is not None
    assert report.out_of_scope.rate == 1.0, (
        f"out of scope declined or clarified {report.out_of_scope}"
    )
    # Issue 14 asks for 0.90; measured 0.90 (128/142) after the fourth and fifth development
    # sets (0.88 when the planner was built).
    assert report.exact.rate >= HELD_OUT_FLOOR, f"held-out exact plan {report.exact}"


@pytest.mark.parametrize("path", DEV_SETS, ids=lambda path: path.stem)
def test_development_requests_are_planned_exactly(planner: RulesPlanner, path: Path) -> None:
    report = _report(planner, path, "development set")
    assert report.out_of_scope is not None and report.out_of_scope.rate == 1.0
    assert report.exact.rate >= 0.90, f"development exact plan {report.exact}"
