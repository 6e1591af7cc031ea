"""Prompt templates, one YAML file per agent, validated at start-up.

``load_prompts(folder)`` is the one loader. Each task template names its placeholders; a
placeholder used but not declared (or declared but unused) is a start-up error, so is a file
without a task its agent renders (``REQUIRED_TASKS``) or a task using a value its agent never
passes; rendering with a missing value raises ``PromptError`` — never a half-filled prompt at
9 am Monday.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from policies.yamlfile import YamlFileError, read_yaml

AGENTS = ("supervisor", "marketing", "finance", "insights", "support")
# The tasks each agent renders (its code under agents/) and the values it passes to each.
REQUIRED_TASKS: dict[str, dict[str, frozenset[str]]] = {
    "supervisor": {"plan": frozenset({"request", "today", "metrics"})},
    "marketing": {
        "channel_summary": frozenset({"scope"}),
        "campaign_copy": frozenset({"copy_format", "request"}),
    },
    "finance": {
        "kpi_report": frozenset({"scope"}),
        "metrics_answer": frozenset({"request", "heading"}),
        "forecast_answer": frozenset({"request"}),
        "what_if_answer": frozenset({"request"}),
    },
    "insights": {"segment_report": frozenset({"scope"})},
    "support": {"answer": frozenset({"question", "passages"})},
}


class PromptError(ValueError):
    """A prompt file is missing or malformed, or a template was rendered without a value."""


class TaskTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    variables: list[str] = Field(default_factory=list)
    template: str = Field(min_length=1)

    @model_validator(mode="after")
    def _placeholders_declared(self) -> TaskTemplate:
        template = Template(self.template)
        if not template.is_valid():
            raise ValueError("a template whose $placeholders are well formed")
        used = set(template.get_identifiers())
        declared = set(self.variables)
        if used - declared:
            raise ValueError(f"placeholders declared in 'variables': {sorted(used - declared)}")
        if declared - used:
            raise ValueError(
                f"every declared variable used in the template: {sorted(declared - used)}"
            )
        return self

    def render(self, **values: Any) -> str:
        missing = sorted(set(self.variables) - set(values))
        if missing:
            raise PromptError(f"missing values for {', '.join(missing)}")
        return Template(self.template).substitute({name: values[name] for name in self.variables})


class AgentPrompts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str = Field(min_length=1)
    tasks: dict[str, TaskTemplate] = Field(default_factory=dict)


def load_prompts(folder: Path) -> dict[str, AgentPrompts]:
    """Load ``folder/<agent>.yaml`` for every agent."""
    loaded: dict[str, AgentPrompts] = {}
    for agent in AGENTS:
        path = folder / f"{agent}.yaml"
        if not path.is_file():
            raise PromptError(f"{path}: missing prompt file")
        try:
            loaded[agent] = AgentPrompts.model_validate(read_yaml(path))
        except YamlFileError as error:
            raise PromptError(str(error)) from None
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            key = ".".join(str(part) for part in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            raise PromptError(f"{path}: key '{key}': {message}") from None
        _check_tasks(path, agent, loaded[agent])
    return loaded


def _check_tasks(path: Path, agent: str, prompts: AgentPrompts) -> None:
    """Every task the agent renders is present and uses only values the agent passes."""
    for task, passed in REQUIRED_TASKS[agent].items():
        if task not in prompts.tasks:
            raise PromptError(
                f"{path}: missing task '{task}' (the {agent} agent renders it); "
                "add it under 'tasks'"
            )
        never_filled = sorted(set(prompts.tasks[task].variables) - passed)
        if never_filled:
            raise PromptError(
                f"{path}: key 'tasks.{task}.variables': the {agent} agent passes only "
                f"{', '.join(sorted(passed))}; {', '.join(map(repr, never_filled))} "
                "would never be filled"
            )
