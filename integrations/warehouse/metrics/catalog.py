"""The metric catalog: every figure the control room states, defined once in ``metrics.yaml``.

``MetricCatalog.load()`` reads and validates the file at start-up (the default file's catalog is
cached: it is consulted on every request). A definition is refused, with one line naming the
metric and the key, for an unknown or missing key, a bad value, a name, label or synonym claimed
by two metrics, a ratio naming a metric that is not an aggregate of the catalog, or a dimension
(or grain) the metric's table cannot give. Words are matched without regard to case, accents or
punctuation, so "Umsatz", "chiffre d’affaires" and "CHIFFRE D'AFFAIRES" all find their metric.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from integrations.warehouse.metrics._exceptions import MetricCatalogError, MetricQueryError
from integrations.warehouse.metrics.definitions import (
    DEFINITION_TAGS,
    AggregateMetric,
    AnalysisMetric,
    DefinitionField,
    Dimension,
    MetricDefinition,
    RatioMetric,
    SqlMetric,
)
from integrations.warehouse.metrics.query import DimensionName
from policies.yamlfile import YamlFileError, read_yaml

DEFAULT_PATH = Path(__file__).with_name("metrics.yaml")
_NOT_A_WORD_CHARACTER = re.compile(r"[\W_]+")


def normalize_term(text: str) -> str:
    """``text`` as the catalog matches it: accents dropped, case folded, punctuation and
    underscores read as spaces ("Chiffre d’affaires" → "chiffre d affaires")."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_A_WORD_CHARACTER.sub(" ", bare.casefold()).split())


class _CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dimensions: dict[DimensionName, Dimension]
    metrics: tuple[DefinitionField, ...] = Field(min_length=1)


class MetricCatalog:
    """The validated metrics (in the file's order) and dimensions, with lookup by any word."""

    def __init__(
        self, dimensions: Mapping[DimensionName, Dimension], metrics: Iterable[MetricDefinition]
    ) -> None:
        self.dimensions: Mapping[DimensionName, Dimension] = dict(dimensions)
        self.metrics: tuple[MetricDefinition, ...] = tuple(metrics)
        self._by_name: dict[str, MetricDefinition] = {}
        for metric in self.metrics:
            if metric.name in self._by_name:
                raise MetricCatalogError(f"metric {metric.name!r} is defined twice")
            self._by_name[metric.name] = metric
        self.terms: Mapping[str, str] = _terms(self.metrics)
        for metric in self.metrics:
            if isinstance(metric, AggregateMetric):
                self._check_dimensions(metric)
            elif isinstance(metric, RatioMetric):
                self._check_ratio(metric)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> MetricCatalog:
        """The catalog in ``path`` (default: the shipped ``metrics.yaml``, read once per process).

        Raises ``MetricCatalogError`` with one line naming the file, the metric and the key."""
        if path == DEFAULT_PATH:
            return _default_catalog()
        return _read(path)

    def get(self, name: str) -> MetricDefinition:
        """The metric called ``name``; ``MetricQueryError`` listing the names when none is."""
        try:
            return self._by_name[name]
        except KeyError:
            raise MetricQueryError(
                f"unknown metric {name!r} (known: {', '.join(self._by_name)})"
            ) from None

    def lookup(self, word: str) -> MetricDefinition | None:
        """The metric whose name, label or a synonym is ``word`` (any case, accents, spacing)."""
        name = self.terms.get(normalize_term(word))
        return None if name is None else self._by_name[name]

    def sql_metric(self, name: str) -> SqlMetric:
        """The compiled metric ``name``; refuses an analysis metric, saying which tool has it."""
        metric = self.get(name)
        if isinstance(metric, AnalysisMetric):
            raise MetricQueryError(
                f"metric {name!r} is computed by the analytics tools, not by a metrics query"
            )
        return metric

    def parts(self, metric: SqlMetric) -> tuple[AggregateMetric, ...]:
        """The aggregate metrics ``metric`` is computed from: itself, or a ratio's numerator
        and denominator (checked at load to be aggregates)."""
        if isinstance(metric, AggregateMetric):
            return (metric,)
        return tuple(
            part
            for name in (metric.numerator, metric.denominator)
            if isinstance(part := self._by_name[name], AggregateMetric)
        )

    def _check_dimensions(self, metric: AggregateMetric) -> None:
        for name in metric.dimensions:
            dimension = self.dimensions.get(name)
            if dimension is None:
                raise MetricCatalogError(
                    f"metric {metric.name!r}: key 'dimensions': {name!r} is not defined under "
                    "'dimensions'"
                )
            if metric.table not in dimension.columns:
                raise MetricCatalogError(
                    f"metric {metric.name!r}: key 'dimensions': {metric.table} cannot give "
                    f"dimension {name!r} (it has a column in: {', '.join(dimension.columns)})"
                )

    def _check_ratio(self, metric: RatioMetric) -> None:
        for key in ("numerator", "denominator"):
            part_name = getattr(metric, key)
            part = self._by_name.get(part_name)
            if not isinstance(part, AggregateMetric) or not part.additive:
                what = "an unknown metric" if part is None else "not a sum or a count"
                raise MetricCatalogError(
                    f"metric {metric.name!r}: key {key!r} = {part_name!r} is {what} "
                    "(a ratio divides two sums or counts of the catalog)"
                )
            for dimensions_or_grains in ("dimensions", "grains"):
                extra = set(getattr(metric, dimensions_or_grains)) - set(
                    getattr(part, dimensions_or_grains)
                )
                if extra:
                    raise MetricCatalogError(
                        f"metric {metric.name!r}: key {dimensions_or_grains!r}: "
                        f"{', '.join(sorted(extra))} not allowed for its {key} {part_name!r}"
                    )


def _terms(metrics: Iterable[MetricDefinition]) -> dict[str, str]:
    """Every normalised name, label and synonym → its metric; a word claimed twice is refused."""
    terms: dict[str, str] = {}
    for metric in metrics:
        for word in (metric.name, metric.label, *metric.synonyms):
            term = normalize_term(word)
            if not term:
                raise MetricCatalogError(f"metric {metric.name!r}: key 'synonyms': empty word")
            owner = terms.setdefault(term, metric.name)
            if owner != metric.name:
                raise MetricCatalogError(
                    f"metric {metric.name!r}: key 'synonyms': {word!r} is already a word for "
                    f"metric {owner!r}"
                )
    return terms


@functools.cache
def _default_catalog() -> MetricCatalog:
    return _read(DEFAULT_PATH)


def _read(path: Path) -> MetricCatalog:
    try:
        data = read_yaml(path)
    except YamlFileError as error:
        raise MetricCatalogError(str(error)) from None
    if not isinstance(data, dict):
        raise MetricCatalogError(f"{path}: expected the keys 'dimensions' and 'metrics'")
    try:
        parsed = _CatalogFile.model_validate(data)
        return MetricCatalog(parsed.dimensions, parsed.metrics)
    except ValidationError as error:
        raise MetricCatalogError(f"{path}: {_describe(data, error)}") from None
    except MetricCatalogError as error:
        raise MetricCatalogError(f"{path}: {error}") from None


def _describe(data: dict[str, Any], error: ValidationError) -> str:
    """The first problem in one line: which metric or dimension, which key, what was wrong."""
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "metrics" and isinstance(loc[1], int):
        entry = data["metrics"][loc[1]]
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"metric {name!r}: " if name else f"metrics[{loc[1]}]: "
        loc = [part for part in loc[2:] if part not in DEFINITION_TAGS]
    elif len(loc) >= 2 and loc[0] == "dimensions":
        where = f"dimension {loc[1]!r}: "
        loc = loc[2:]
    key = ".".join(str(part) for part in loc)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        return f"{where}unknown key {key!r}"
    if first["type"] == "missing":
        return f"{where}missing key {key!r}"
    if not key:
        return f"{where}{message}"
    return f"{where}key {key!r} = {first['input']!r}: {message}"
