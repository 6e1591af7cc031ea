"""Prompt templates, one YAML file per agent, validated at start-up.

``load_prompts(folder)`` is the one loader. Each task template names its placeholders; a
placeholder used but not declared (or declared but unused) is a start-up error, and rendering
with a missing value raises ``PromptError`` — never a half-filled prompt at 9 am Monday.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

AGENTS = ("supervisor", "marketing", "finance", "insights", "support")


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
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            loaded[agent] = AgentPrompts.model_validate(data)
        except yaml.YAMLError as error:
            raise PromptError(f"{path}: not valid YAML ({error})") from None
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            key = ".".join(str(part) for part in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            raise PromptError(f"{path}: key '{key}': {message}") from None
    return loaded
