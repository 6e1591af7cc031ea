"""Routing quality of the deterministic router on the shipped request sets.

routing.yaml is the set the lexicon was tuned on; routing_holdout.yaml was written afterwards and
never used for tuning, so its figure is the honest one. Both are floors against regressions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agents.router import SPECIALISTS, route_request

HERE = Path(__file__).parent


def _accuracy(name: str) -> tuple[float, list[str]]:
    cases = yaml.safe_load((HERE / name).read_text())
    misses = [
        f"{case['request']!r}: expected {sorted(case['agents'])}, got {sorted(chosen)}"
        for case in cases
        if set(chosen := route_request(case["request"]).agents) != set(case["agents"])
    ]
    return 1 - len(misses) / len(cases), misses


def test_every_case_names_only_known_specialists() -> None:
    for name in ("routing.yaml", "routing_holdout.yaml"):
        for case in yaml.safe_load((HERE / name).read_text()):
            assert set(case["agents"]) <= set(SPECIALISTS), case


@pytest.mark.parametrize(("name", "floor"), [("routing.yaml", 0.95), ("routing_holdout.yaml", 0.6)])
def test_the_router_routes_the_shipped_requests(name: str, floor: float) -> None:
    accuracy, misses = _accuracy(name)
    print(f"{name}: {accuracy:.1%} routed exactly right")  # noqa: T201 - the eval's figure
    assert accuracy >= floor, "\n".join(misses)
