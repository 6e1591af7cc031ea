"""Fixtures the unit suites share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import policies


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped policy files that a test may break."""
    folder = tmp_path / "policies"
    folder.mkdir()
    for path in Path(policies.__file__).parent.glob("*.yaml"):
        shutil.copy(path, folder)
    return folder
