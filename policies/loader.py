"""Read and validate every ``*.yaml`` in a policies folder into one ``Policies`` model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from policies.schema import Policies
from policies.yamlfile import YamlFileError, read_yaml


class PolicyError(ValueError):
    """A policy file is missing, unreadable or holds a bad value; the message is one line."""


def load_policies(folder: Path) -> Policies:
    """Load ``folder/<name>.yaml`` for every field of ``Policies``; refuse unknown files."""
    expected = set(Policies.model_fields)
    present = {path.stem for path in folder.glob("*.yaml")}
    for stem in sorted(present - expected):
        raise PolicyError(
            f"{folder / (stem + '.yaml')}: unknown policy file (expected one of: "
            f"{', '.join(sorted(f + '.yaml' for f in expected))})"
        )
    files: dict[str, Any] = {}
    for name, field in Policies.model_fields.items():
        path = folder / f"{name}.yaml"
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        files[name] = _load_file(path, model)
    return Policies(**files)


def _load_file(path: Path, model: type[BaseModel]) -> BaseModel:
    if not path.is_file():
        raise PolicyError(f"{path}: missing policy file")
    try:
        data = read_yaml(path)
    except YamlFileError as error:
        raise PolicyError(str(error)) from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping of keys to values at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise PolicyError(describe_validation_error(path, error)) from None


def describe_validation_error(path: Path, error: ValidationError) -> str:
    """One line for the first problem: file, dotted key, the bad value, what was expected."""
    first = error.errors(include_url=False)[0]
    key = _dotted(first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{path}: unknown key '{key}'"
    if first["type"] == "missing":
        return f"{path}: missing key '{key}'"
    expected = _lower_first(first["msg"].removeprefix("Value error, "))
    if not key:
        return f"{path}: expected {expected}"
    return f"{path}: key '{key}' = {first['input']!r}: expected {expected}"


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else item)
    return "".join(parts)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
