"""Prompt templates fail at start-up, not at 9 am Monday."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

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
    assert "$scope" not in loaded["finance"].tasks["kpi_report"].render(scope="last week")


def test_a_placeholder_that_is_not_declared_stops_start_up(prompt_dir: Path) -> None:
    (prompt_dir / "finance.yaml").write_text(
        "system: s\ntasks:\n  kpi_report:\n    variables: [scope]\n    template: $scope $week\n"
    )
    with pytest.raises(PromptError, match=r"finance.yaml: key 'tasks.kpi_report'.*\['week'\]"):
        load_prompts(prompt_dir)


def test_a_declared_variable_never_used_stops_start_up(prompt_dir: Path) -> None:
    (prompt_dir / "finance.yaml").write_text(
        "system: s\ntasks:\n  kpi_report:\n    variables: [scope, week]\n    template: $scope\n"
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


# What the agents' code renders (agents/*): each task, and the values it passes in.
TASKS_THE_AGENTS_RENDER = [
    ("supervisor", "plan"),
    ("marketing", "channel_summary"),
    ("marketing", "campaign_copy"),
    ("finance", "kpi_report"),
    ("finance", "metrics_answer"),
    ("finance", "forecast_answer"),
    ("finance", "what_if_answer"),
    ("insights", "segment_report"),
    ("support", "answer"),
]


@pytest.mark.parametrize(("agent", "task"), TASKS_THE_AGENTS_RENDER)
def test_a_prompt_file_without_a_task_its_agent_renders_stops_start_up(
    prompt_dir: Path, agent: str, task: str
) -> None:
    path = prompt_dir / f"{agent}.yaml"
    data = yaml.safe_load(path.read_text())
    del data["tasks"][task]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PromptError) as refused:
        load_prompts(prompt_dir)
    assert str(refused.value) == (
        f"{path}: missing task '{task}' (the {agent} agent renders it); add it under 'tasks'"
    )


def test_every_task_named_in_the_code_is_required_by_the_loader() -> None:
    """Guards the loader's list against drift: scan agents/ and workflows/ for the tasks they
    render (by ``write_slot_text`` with the agent named, or a ``tasks["…"]`` look-up)."""
    root = Path(prompts.__file__).parent.parent
    named: set[tuple[str, str]] = set()
    looked_up: set[str] = set()
    for source in [*(root / "agents").rglob("*.py"), *(root / "workflows").rglob("*.py")]:
        text = source.read_text()
        for agent, task in re.findall(
            r'write_slot_text\(\s*[^,]+,\s*[^,]+,\s*"(\w+)",\s*"(\w+)"', text, flags=re.DOTALL
        ):
            named.add((agent, task))
        looked_up.update(re.findall(r'tasks\["(\w+)"\]', text))
    required = {(a, t) for a, tasks in prompts.REQUIRED_TASKS.items() for t in tasks}
    assert required == set(TASKS_THE_AGENTS_RENDER)
    assert named <= required
    assert {task for _, task in required} == {task for _, task in named} | looked_up


def test_a_task_declaring_a_value_its_agent_never_passes_stops_start_up(prompt_dir: Path) -> None:
    path = prompt_dir / "finance.yaml"
    path.write_text(
        "system: s\ntasks:\n  kpi_report:\n    variables: [scope, week]\n"
        "    template: $scope for $week\n"
    )
    with pytest.raises(PromptError) as refused:
        load_prompts(prompt_dir)
    assert str(refused.value) == (
        f"{path}: key 'tasks.kpi_report.variables': the finance agent passes only scope; "
        "'week' would never be filled"
    )


def test_a_key_given_twice_in_a_prompt_file_is_refused_with_its_line(prompt_dir: Path) -> None:
    path = prompt_dir / "support.yaml"
    path.write_text(
        "system: s\ntasks:\n  answer:\n    variables: [question, passages]\n"
        "    template: $question $passages\n"
        "  answer:\n    variables: [question]\n    template: $question\n"
    )
    with pytest.raises(PromptError) as refused:
        load_prompts(prompt_dir)
    assert str(refused.value).startswith(f"{path}: line 6 ")
    assert "key 'answer' given twice (first on line 3)" in str(refused.value)


def test_a_prompt_file_that_is_not_utf8_is_refused_with_the_byte_offset(prompt_dir: Path) -> None:
    path = prompt_dir / "marketing.yaml"
    path.write_bytes(b"system: caf\xe9\n")
    with pytest.raises(PromptError) as refused:
        load_prompts(prompt_dir)
    assert str(refused.value) == (
        f"{path}: not UTF-8 text (byte offset 11); save the file as UTF-8"
    )


def test_broken_yaml_in_a_prompt_file_names_the_line_in_one_line(prompt_dir: Path) -> None:
    path = prompt_dir / "support.yaml"
    path.write_text("system: s\ntasks: [answer\n")
    with pytest.raises(PromptError) as refused:
        load_prompts(prompt_dir)
    assert str(refused.value).startswith(f"{path}: line 3 not valid YAML (")
    assert "\n" not in str(refused.value)
