"""Routing quality of the deterministic router (cues, then the nearest labelled example).

agents/routing_examples.yaml is what the router was built from, so it is scored leaving each
example out of the examples it may be compared with. tests/evals/routing_holdout.yaml was written
afterwards and never used: its figure is the honest one. Both floors guard against regressions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agents.router import EXAMPLES_FILE, SPECIALISTS, Router, load_examples, route_request
from integrations.vectorstore import MiniLMEmbeddingFunction

HOLDOUT = Path(__file__).with_name("routing_holdout.yaml")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embed() -> MiniLMEmbeddingFunction:
    return MiniLMEmbeddingFunction()


def _score(cases: list[dict], route) -> tuple[float, list[str]]:  # type: ignore[type-arg]
    misses = [
        f"{case['request']!r}: expected {sorted(case['agents'])}, got {sorted(chosen)}"
        for case in cases
        if set(chosen := route(case["request"])) != set(case["agents"])
    ]
    return 1 - len(misses) / len(cases), misses


def test_every_case_names_only_known_specialists() -> None:
    for path in (EXAMPLES_FILE, HOLDOUT):
        for case in yaml.safe_load(path.read_text()):
            assert set(case["agents"]) <= set(SPECIALISTS), case


def test_the_examples_route_right_even_without_themselves(embed: MiniLMEmbeddingFunction) -> None:
    cases = yaml.safe_load(EXAMPLES_FILE.read_text())
    examples = load_examples()

    def leave_one_out(request: str) -> tuple[str, ...]:
        others = [example for example in examples if example.request != request]
        return Router(others, embed.embed).route(request).agents

    accuracy, misses = _score(cases, leave_one_out)
    print(f"routing examples, leave-one-out: {accuracy:.1%}")  # noqa: T201 - the eval's figure
    assert accuracy >= 0.9, "\n".join(misses)


def test_held_out_requests_route_right(embed: MiniLMEmbeddingFunction) -> None:
    cases = yaml.safe_load(HOLDOUT.read_text())
    router = Router(load_examples(), embed.embed)
    accuracy, misses = _score(cases, lambda request: router.route(request).agents)
    cues_only, _ = _score(cases, lambda request: route_request(request).agents)
    print(  # noqa: T201 - the eval's figure
        f"held out: {accuracy:.1%} (cues alone {cues_only:.1%})\n" + "\n".join(misses)
    )
    assert accuracy >= 0.85, "\n".join(misses)
