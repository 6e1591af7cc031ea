"""Prompt templates fail at start-up, not at 9 am Monday."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import prompts
from prompts import PromptError, load_prompts

SHIPPED = Path(prompts.__file__).parent


@pytest.fixture
def prompt_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for path in SHIPPED.glob("*.yaml"):
        shutil.copy(path, folder)
    return folder


def test_every_agent_has_a_valid_prompt_file() -> None:
    loaded = load_prompts(SHIPPED)
    assert set(loaded) == set(prompts.AGENTS)
    assert "$facts" not in loaded["finance"].tasks["kpi_report"].render(facts="revenue 10")


def test_a_placeholder_that_is_not_declared_stops_start_up(prompt_dir: Path) -> None:
    (prompt_dir / "finance.yaml").write_text(
        "system: s\ntasks:\n  kpi_report:\n    variables: [facts]\n    template: $facts $week\n"
    )
    with pytest.raises(PromptError, match=r"finance.yaml: key 'tasks.kpi_report'.*\['week'\]"):
        load_prompts(prompt_dir)


def test_a_declared_variable_never_used_stops_start_up(prompt_dir: Path) -> None:
    (prompt_dir / "finance.yaml").write_text(
        "system: s\ntasks:\n  kpi_report:\n    variables: [facts, week]\n    template: $facts\n"
    )
    with pytest.raises(PromptError, match=r"every declared variable used.*\['week'\]"):
        load_prompts(prompt_dir)


def test_rendering_without_a_value_raises_instead_of_leaving_a_hole() -> None:
    task = load_prompts(SHIPPED)["support"].tasks["answer"]
    with pytest.raises(PromptError, match="missing values for passages"):
        task.render(question="Where is my order?")


def test_a_missing_prompt_file_is_named(prompt_dir: Path) -> None:
    (prompt_dir / "insights.yaml").unlink()
    with pytest.raises(PromptError, match="insights.yaml: missing prompt file"):
        load_prompts(prompt_dir)
