"""RFM segmentation as of a date, segment sizes and revenue share, and movements between dates.

Scores run 1 (worst) to 5 (best) as quintiles of the customers on the day: R from days since the
last order (fewer = better), F from orders placed, M from money paid. Customers with equal values
share the lower score, so 40% one-time buyers all get F = 1 rather than being split at random.
FM is the mean of F and M rounded half up; ``policies/rfm.yaml`` maps each (R, FM) pair to a
segment name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike

from agents.insights._arrow import arrow_array, numpy_array, string_array
from agents.insights.history import PurchaseTotals, customer_history
from policies import RFMPolicy

NOT_YET_A_CUSTOMER = "(no orders yet)"
_SCORES = 5


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    """One segment's size, revenue (orders up to the as-of date) and typical customer."""

    segment: str
    customers: int
    customer_share: float
    revenue: float
    revenue_share: float
    mean_days_since_last_order: float
    mean_orders: float
    mean_revenue: float


@dataclass(frozen=True, slots=True, eq=False)
class RFMResult:
    """Every customer's RFM values, scores and segment as of a date, and a summary per segment.

    ``customers`` is an Arrow table keyed by ``customer_id`` with columns
    ``days_since_last_order``, ``orders``, ``revenue``, ``r_score``, ``f_score``, ``m_score``,
    ``fm_score`` (int8, 1-5) and ``segment`` (dictionary-encoded string).
    ``segments`` lists every segment of the policy, in the policy's order, empty ones included.
    """

    as_of: date
    customers: pa.Table
    segments: tuple[SegmentSummary, ...]


@dataclass(frozen=True, slots=True)
class SegmentMove:
    """How many customers were in ``from_segment`` at the start and ``to_segment`` at the end."""

    from_segment: str
    to_segment: str
    customers: int


@dataclass(frozen=True, slots=True, eq=False)
class SegmentMovements:
    """Who moved between segments from ``start`` to ``end``.

    ``moves`` holds every non-empty (from, to) pair, staying put included, largest first;
    ``from_segment`` is ``NOT_YET_A_CUSTOMER`` for customers whose first order came after
    ``start``. ``customers`` is an Arrow table: ``customer_id``, ``from_segment``, ``to_segment``.
    """

    start: date
    end: date
    moves: tuple[SegmentMove, ...]
    customers: pa.Table

    @property
    def changes(self) -> tuple[SegmentMove, ...]:
        """Only the moves to a different segment."""
        return tuple(move for move in self.moves if move.from_segment != move.to_segment)

    def movers(self, from_segment: str, to_segment: str) -> np.ndarray:
        """The customer ids that moved from ``from_segment`` to ``to_segment``."""
        origin = self.customers.column("from_segment").to_numpy(zero_copy_only=False)
        target = self.customers.column("to_segment").to_numpy(zero_copy_only=False)
        ids = self.customers.column("customer_id").to_numpy()
        return np.asarray(ids[(origin == from_segment) & (target == to_segment)])


def quintile_scores(values: ArrayLike) -> np.ndarray:
    """Scores 1-5 by quintile of ``values`` (higher value, higher score); ties share the lower.

    score = 1 + floor(5 · (number of strictly smaller values) / n).
    """
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype=np.int8)
    return np.asarray(1 + (_SCORES * _count_smaller(array)) // array.size, dtype=np.int8)


def _count_smaller(array: np.ndarray) -> np.ndarray:
    """For each value, how many values are strictly smaller (its rank, ties sharing the lowest)."""
    if np.issubdtype(array.dtype, np.integer):
        low = int(array.min())
        span = int(array.max()) - low + 1
        if span <= 4 * array.size + 1024:
            shifted = array - low
            counts = np.bincount(shifted, minlength=span)
            return np.asarray((np.cumsum(counts) - counts)[shifted])
    order = np.argsort(array, kind="stable")
    ordered = array[order]
    first_of_tie = np.empty(array.size, dtype=np.int64)
    first_of_tie[0] = 0
    changed = ordered[1:] != ordered[:-1]
    first_of_tie[1:] = np.where(changed, np.arange(1, array.size), 0)
    smaller = np.empty(array.size, dtype=np.int64)
    smaller[order] = np.maximum.accumulate(first_of_tie)
    return smaller


def segment_grid(policy: RFMPolicy) -> np.ndarray:
    """A 5×5 array: the index into ``policy.segment_names`` for each (R-1, FM-1) cell."""
    names = policy.segment_names
    return np.array(
        [
            [names.index(policy.segment_of(r, fm)) for fm in range(1, _SCORES + 1)]
            for r in range(1, _SCORES + 1)
        ],
        dtype=np.int8,
    )


def score_rfm(history: PurchaseTotals, policy: RFMPolicy) -> RFMResult:
    """Score and segment the customers of ``history`` (pure: arrays in, result out)."""
    r_score = quintile_scores(-history.days_since_last_order)
    f_score = quintile_scores(history.orders)
    m_score = quintile_scores(history.revenue)
    fm_score = ((f_score.astype(np.int16) + m_score + 1) // 2).astype(np.int8)
    names = policy.segment_names
    segment = segment_grid(policy)[r_score - 1, fm_score - 1]
    table = pa.table(
        {
            "customer_id": arrow_array(history.customer_id),
            "days_since_last_order": arrow_array(history.days_since_last_order),
            "orders": arrow_array(history.orders),
            "revenue": arrow_array(history.revenue),
            "r_score": arrow_array(r_score),
            "f_score": arrow_array(f_score),
            "m_score": arrow_array(m_score),
            "fm_score": arrow_array(fm_score),
            "segment": pa.DictionaryArray.from_arrays(arrow_array(segment), string_array(names)),
        }
    )
    return RFMResult(
        as_of=history.as_of,
        customers=table,
        segments=_summarise(history, segment, names),
    )


def rfm_segments(
    connection: duckdb.DuckDBPyConnection, as_of: date, policy: RFMPolicy
) -> RFMResult:
    """RFM segments of every customer with an order on or before ``as_of``."""
    return score_rfm(customer_history(connection, as_of), policy)


def movements_between(before: RFMResult, after: RFMResult) -> SegmentMovements:
    """Each customer of ``after`` with her segment in ``before`` (pure: results in, moves out)."""
    if before.as_of >= after.as_of:
        raise ValueError("the start of a movement must be before its end")
    before_ids = numpy_array(before.customers.column("customer_id"))
    after_ids = numpy_array(after.customers.column("customer_id"))
    before_segment = before.customers.column("segment").combine_chunks()
    after_segment = after.customers.column("segment").combine_chunks()
    names = [str(name) for name in after_segment.dictionary.to_pylist()]
    if [str(name) for name in before_segment.dictionary.to_pylist()] != names:
        raise ValueError("both results must come from the same segment policy")
    labels = [*names, NOT_YET_A_CUSTOMER]
    new_code = len(names)

    origin = _segment_codes_for(
        after_ids, before_ids, numpy_array(before_segment.indices), missing=new_code
    )
    target = numpy_array(after_segment.indices).astype(np.int64)

    pair_counts = np.bincount(origin * len(labels) + target, minlength=len(labels) ** 2)
    nonzero = np.flatnonzero(pair_counts)
    nonzero = nonzero[np.argsort(-pair_counts[nonzero], kind="stable")]
    moves = tuple(
        SegmentMove(labels[code // len(labels)], labels[code % len(labels)], int(pair_counts[code]))
        for code in nonzero
    )
    dictionary = string_array(labels)
    table = pa.table(
        {
            "customer_id": arrow_array(after_ids),
            "from_segment": pa.DictionaryArray.from_arrays(arrow_array(origin), dictionary),
            "to_segment": pa.DictionaryArray.from_arrays(arrow_array(target), dictionary),
        }
    )
    return SegmentMovements(start=before.as_of, end=after.as_of, moves=moves, customers=table)


def _segment_codes_for(
    ids: np.ndarray, known_ids: np.ndarray, known_codes: np.ndarray, *, missing: int
) -> np.ndarray:
    """The code of each of ``ids`` among ``known_ids`` (``missing`` where absent), vectorised."""
    if ids.size == 0 or known_ids.size == 0:
        return np.full(ids.size, missing, dtype=np.int64)
    low = int(min(ids.min(), known_ids.min()))
    span = int(max(ids.max(), known_ids.max())) - low + 1
    if span <= 4 * (ids.size + known_ids.size):
        # Dense ids (the usual case): a lookup table instead of a sort.
        lookup = np.full(span, missing, dtype=np.int64)
        lookup[known_ids - low] = known_codes
        return lookup[ids - low]
    order = np.argsort(known_ids, kind="stable")
    position = np.minimum(np.searchsorted(known_ids, ids, sorter=order), known_ids.size - 1)
    matched = order[position]
    return np.where(known_ids[matched] == ids, known_codes[matched], missing).astype(np.int64)


def segment_movements(
    connection: duckdb.DuckDBPyConnection, policy: RFMPolicy, *, start: date, end: date
) -> SegmentMovements:
    """Who moved between segments from ``start`` to ``end`` (e.g. Loyal to At Risk this week)."""
    return movements_between(
        rfm_segments(connection, start, policy), rfm_segments(connection, end, policy)
    )


def _summarise(
    history: PurchaseTotals, segment: np.ndarray, names: tuple[str, ...]
) -> tuple[SegmentSummary, ...]:
    size = len(names)
    counts = np.bincount(segment, minlength=size)
    revenue = np.bincount(segment, weights=history.revenue, minlength=size)
    days = np.bincount(segment, weights=history.days_since_last_order, minlength=size)
    orders = np.bincount(segment, weights=history.orders, minlength=size)
    total_customers = max(int(counts.sum()), 1)
    total_revenue = float(revenue.sum()) or 1.0
    safe = np.maximum(counts, 1)
    return tuple(
        SegmentSummary(
            segment=name,
            customers=int(counts[i]),
            customer_share=float(counts[i]) / total_customers,
            revenue=float(revenue[i]),
            revenue_share=float(revenue[i]) / total_revenue,
            mean_days_since_last_order=float(days[i] / safe[i]),
            mean_orders=float(orders[i] / safe[i]),
            mean_revenue=float(revenue[i] / safe[i]),
        )
        for i, name in enumerate(names)
    )
