"""The insights tools' exceptions (the tree is drawn in ``agents.insights``)."""

from __future__ import annotations


class InsightsError(RuntimeError):
    """Base of the insights tools' exceptions."""


class NoOrdersError(InsightsError):
    """There are no orders on or before the requested date: nothing to analyse."""


class ChurnFitError(InsightsError):
    """The churn or spend model could not be fitted to the data (too few or degenerate rows)."""
