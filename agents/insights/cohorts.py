"""Cohort retention: monthly acquisition cohorts × months since the first order, and a heatmap.

A customer's cohort is the calendar month of her first order; she is retained in month k if she
ordered in the k-th calendar month after it (month 0 is the acquisition month: 100%). Cells after
the as-of month are not yet observed (NaN rate); the as-of month itself may be partial.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from agents.insights.history import MONTHS_PER_WORD, CustomerHistory, customer_history

if TYPE_CHECKING:
    from matplotlib.collections import PathCollection
    from matplotlib.transforms import Transform

_LABEL_POINTS = 7  # the cell labels' font size


@dataclass(frozen=True, slots=True, eq=False)
class CohortRetention:
    """Counts and rates, one row per cohort (oldest first), one column per month since acquisition.

    ``active[i, k]`` customers of cohort ``cohorts[i]`` ordered in its month k (0 if unobserved);
    ``rates[i, k] = active[i, k] / sizes[i]``, NaN where month k is after the as-of month.
    """

    as_of: date
    cohorts: tuple[date, ...]
    sizes: np.ndarray
    active: np.ndarray
    rates: np.ndarray


def cohort_retention(connection: duckdb.DuckDBPyConnection, as_of: date) -> CohortRetention:
    """Monthly acquisition cohorts and their retention, counting orders on or before ``as_of``."""
    return retention_from_history(customer_history(connection, as_of))


def retention_from_history(history: CustomerHistory) -> CohortRetention:
    """Cohort retention from each customer's month bit masks (pure: arrays in, table out)."""
    cohort_offset = history.months_since_first_order
    span = int(cohort_offset.max()) + 1
    order = np.argsort(cohort_offset, kind="stable")
    offsets = cohort_offset[order]
    masks = history.active_months[order]
    active = np.zeros((span, span), dtype=np.int64)
    # One step per calendar month (never per customer): count, for each cohort, the customers
    # with an order ``month`` months before the as-of month; that is the cohort's month
    # ``offset - month`` since acquisition. Customers acquired later cannot have that bit.
    for month in range(span):
        first = int(np.searchsorted(offsets, month, side="left"))
        group_offsets, starts = np.unique(offsets[first:], return_index=True)
        word, bit = divmod(month, MONTHS_PER_WORD)
        ordered = (masks[first:, word] >> bit) & 1
        counts = np.add.reduceat(ordered, starts)
        active[span - 1 - group_offsets, group_offsets - month] = counts
    sizes = active[:, 0].copy()
    ages = np.arange(span)
    observed = ages[None, :] <= (span - 1 - ages)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(observed & (sizes[:, None] > 0), active / sizes[:, None], np.nan)
    last = history.as_of.year * 12 + history.as_of.month - 1
    months = last - span + 1 + ages
    return CohortRetention(
        as_of=history.as_of,
        cohorts=tuple(date(int(m // 12), int(m % 12) + 1, 1) for m in months),
        sizes=sizes,
        active=active,
        rates=rates,
    )


def retention_heatmap_png(
    retention: CohortRetention,
    *,
    max_cohorts: int = 24,
    max_months: int = 13,
    title: str | None = None,
) -> bytes:
    """A heatmap of the latest cohorts' retention rates as PNG bytes, sized for a Slack post.

    Month 0 (always 100%) is left out of the colour scale so later months show their contrast.
    Drawn once per distinct table in a process (about a second of matplotlib: the digest and
    every ``ask`` about cohorts show the same one until the data changes).
    """
    rates = np.ascontiguousarray(retention.rates[-max_cohorts:, :max_months], dtype=np.float64)
    sizes = np.ascontiguousarray(retention.sizes[-max_cohorts:], dtype=np.int64)
    return _heatmap(
        retention.as_of,
        retention.cohorts[-max_cohorts:],
        sizes.tobytes(),
        rates.tobytes(),
        rates.shape[1],
        title,
    )


@lru_cache(maxsize=8)
def _heatmap(
    as_of: date,
    cohorts: tuple[date, ...],
    size_bytes: bytes,
    rate_bytes: bytes,
    months: int,
    title: str | None,
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rates = np.frombuffer(rate_bytes, dtype=np.float64).reshape(-1, months)
    sizes = np.frombuffer(size_bytes, dtype=np.int64)
    later = rates[:, 1:]
    top = float(np.nanmax(later)) if np.isfinite(later).any() else 1.0

    figure = Figure(figsize=(12, 1.6 + 0.32 * len(cohorts)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(
        np.ma.masked_invalid(rates), cmap="YlGnBu", vmin=0.0, vmax=max(top, 1e-9), aspect="auto"
    )
    axes.set_xticks(range(rates.shape[1]), [str(k) for k in range(rates.shape[1])])
    axes.set_yticks(
        range(len(cohorts)),
        [f"{c:%b %Y} ({size:,})" for c, size in zip(cohorts, sizes, strict=True)],
    )
    axes.set_xlabel("Months since first order")
    axes.set_ylabel("Cohort (customers)")
    axes.set_title(title or f"Customer retention by monthly cohort, as of {as_of:%d %b %Y}")
    rows, columns = np.nonzero(np.isfinite(rates))
    values = rates[rows, columns]
    axes.add_collection(
        _cell_labels(
            [f"{value:.0%}" for value in values],
            np.column_stack((columns, rows)),
            np.where(values > 0.6 * top, "white", "black"),
            points_to_pixels=figure.dpi / 72,
            transform=axes.transData,
        ),
        autolim=False,
    )
    figure.colorbar(image, ax=axes, format="{x:.0%}", label="Retained (month 1 on)")
    # Lay out once, then draw once: with a layout engine still set, savefig draws the whole
    # figure twice (first without output, to lay it out). The PNG is the same.
    engine = figure.get_layout_engine()
    if engine is not None:
        engine.execute(figure)
    figure.set_layout_engine(None)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _cell_labels(
    labels: list[str],
    centres: np.ndarray,
    colours: np.ndarray,
    *,
    points_to_pixels: float,
    transform: Transform,
) -> PathCollection:
    """The cells' labels as one artist, each label's glyph outlines centred on its cell: drawn
    in one call, where a ``Text`` per cell costs about half a millisecond each to build and draw."""
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    outlines: dict[str, Path] = {}
    for label in labels:
        if label not in outlines:
            outline = TextPath((0, 0), label, size=_LABEL_POINTS)
            # The middle of the outline's points: a digit's or a percent sign's extremes are
            # points of it (``Path.get_extents`` finds the same box by Bézier algebra, a few
            # milliseconds a label).
            drawn = outline.vertices[outline.codes != Path.CLOSEPOLY]
            middle = (drawn.min(axis=0) + drawn.max(axis=0)) / 2
            outlines[label] = Path(outline.vertices - middle, outline.codes)
    return PathCollection(
        [outlines[label] for label in labels],
        offsets=centres,
        offset_transform=transform,
        transform=Affine2D().scale(points_to_pixels),
        facecolors=colours,
        edgecolors="none",
        linewidths=0,
        in_layout=False,
    )
