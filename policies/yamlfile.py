"""``read_yaml``: one behaviour file (policy or prompt) read strictly, or one line saying why not.

Shared by the policy loader and the prompt loader (``prompts/`` imports it from here: policies
are the lowest data package, already imported by every layer). Stricter than ``yaml.safe_load``:
a key given twice in one mapping is an error (PyYAML silently keeps the last), and bytes that
are not UTF-8 are reported with their offset instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlFileError(ValueError):
    """A behaviour file cannot be read or parsed; the message is one line starting with the path."""


class UniqueKeyLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses a mapping key given twice, naming both lines."""

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _value in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue  # "<<: *defaults" then overriding a key is what merges are for
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = key in first_line
                except TypeError:
                    continue  # an unhashable key: SafeLoader's own error follows
                if seen:
                    raise ConstructorError(
                        None,
                        None,
                        f"key {key!r} given twice (first on line {first_line[key] + 1})",
                        key_node.start_mark,
                    )
                first_line[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def read_yaml(path: Path) -> Any:
    """The parsed content of the YAML file at ``path`` (``None`` for an empty file)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise YamlFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlFileError(
            f"{path}: not UTF-8 text (byte offset {error.start}); save the file as UTF-8"
        ) from None
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise YamlFileError(f"{path}:{where} not valid YAML ({problem})") from None
