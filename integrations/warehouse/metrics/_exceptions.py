"""The metrics layer's exceptions; the tree is drawn in the package docstring."""


class MetricsError(ValueError):
    """Base of the metrics layer's exceptions: the message names what was wrong and where."""


class MetricCatalogError(MetricsError):
    """``metrics.yaml`` cannot be read, or a definition in it is malformed or inconsistent."""


class MetricQueryError(MetricsError):
    """A query the catalog cannot answer: an unknown or analysis metric, or a dimension, filter,
    grain or comparison the metric does not allow."""
