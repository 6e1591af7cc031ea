"""Fixtures the unit suites share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import policies
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import MetricCatalog
from policies import load_policies


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
