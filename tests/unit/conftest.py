"""Fixtures the unit suites share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import policies
from agents.planner.rules import RulesPlanner
from agents.support.guard import Guard
from integrations.vectorstore import MiniLMEmbeddingFunction
from integrations.warehouse.metrics import MetricCatalog
from policies import load_policies
from policies.schema import SupportPolicy


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped policy files that a test may break."""
    folder = tmp_path / "policies"
    folder.mkdir()
    for path in Path(policies.__file__).parent.glob("*.yaml"):
        shutil.copy(path, folder)
    return folder


@pytest.fixture(scope="module")
def planner() -> RulesPlanner:
    """The rules planner over the shipped catalog and segments, built once per module."""
    segments = load_policies(Path(policies.__file__).parent).rfm.segment_names
    return RulesPlanner(MetricCatalog.load(), list(segments))


@pytest.fixture(scope="module")
def catalog() -> MetricCatalog:
    """The shipped metric catalog, read once per module."""
    return MetricCatalog.load()


@pytest.fixture(scope="module")
def support_policy() -> SupportPolicy:
    """The shipped support policy."""
    return load_policies(Path(policies.__file__).parent).support


@pytest.fixture(scope="module")
def support_guard(support_policy: SupportPolicy) -> Guard:
    """The guard as answers use it: the shipped retailer list and the real embedding model."""
    return Guard(support_policy.guard.other_companies, embed=MiniLMEmbeddingFunction().embed)
