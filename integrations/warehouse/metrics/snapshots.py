"""Snapshot metrics (``window_days``): the distinct values (customers) in the rows of the N days
ending on each bucket's last day, for every bucket of a statement at once.

Joining each row to every bucket whose window covers its day counts a row once per such bucket
(a KPI pass's 90-day windows ending a week apart: each order four times or so). Instead each
day gets the buckets whose windows cover it as bits (``day_buckets``); each value the union of
its rows' bits (``value_bits``: one GROUP BY over the rows); the values with the same bits are
counted together (``patterns``). A bucket's count is then the number of values whose bits hold
it, which is the count of distinct values in its window's rows. A value's ``seen`` bits come
from all its rows, its metrics' from the rows each metric keeps: a bucket (or a dimension
value) with rows but none kept gets its 0, as the count over the joined rows gives.

Bits are a UBIGINT for up to 64 buckets, else a BIT string (slower, any length).
"""

from __future__ import annotations

from collections.abc import Sequence

from integrations.warehouse.metrics.definitions import AggregateMetric

_WORD = 64  # buckets a UBIGINT holds


def snapshot_sql(
    metrics: Sequence[AggregateMetric],
    *,
    rows: str,
    dimension: str | None,
    buckets: int,
) -> tuple[str, str]:
    """The CTEs after ``buckets`` and ``bucket_days``, and the SELECT giving each bucket's
    (and each bucket and dimension value's) count of distinct ``metrics[*].expression``.

    ``rows`` is the FROM clause onwards of the source's rows in the scan (joins and WHERE);
    ``dimension`` the SQL of the breakdown's value, None without one. Every metric counts the
    distinct values of one expression (``compile`` groups them so)."""
    (expression,) = {metric.expression for metric in metrics}
    if buckets <= _WORD:
        bits = "bit_or(1::UBIGINT << bucket_id)"
    else:
        bits = f"bitstring_agg(bucket_id, 0, {buckets - 1})"
    kept = [
        f"bit_or(day_buckets.bits) FILTER (WHERE {_kept(expression, metric.filter)})"
        f' AS "bits_{metric.name}"'
        for metric in metrics
    ]
    if dimension is None:
        value, grouping = "NULL", str(expression)
    else:
        value = dimension
        grouping = f"GROUPING SETS (({expression}), ({expression}, dimension_value))"
    ctes = (
        f"day_buckets AS (\n    SELECT day, {bits} AS bits FROM bucket_days GROUP BY day\n), "
        f"value_bits AS (\n    SELECT {value} AS dimension_value, "
        f"bit_or(day_buckets.bits) AS seen,\n           {', '.join(kept)}\n"
        f"    {rows}\n    GROUP BY {grouping}\n), "
        "patterns AS (\n    SELECT *, count(*) AS members FROM value_bits GROUP BY ALL\n)"
    )
    counts = ",\n       ".join(
        f"CAST(coalesce(sum(members) FILTER (WHERE {_holds('bits_' + metric.name, buckets)}), 0)"
        f' AS DOUBLE) AS "{metric.name}"'
        for metric in metrics
    )
    select = (
        f"SELECT buckets.bucket_id, dimension_value,\n       {counts}\n"
        f"FROM patterns JOIN buckets ON {_holds('seen', buckets)}\n"
        "GROUP BY buckets.bucket_id, dimension_value"
    )
    return ctes, select


def _kept(expression: str | None, condition: str | None) -> str:
    """The rows a metric counts: a value (count(DISTINCT) skips NULL), and its filter's."""
    kept = f"({expression}) IS NOT NULL"
    return kept if condition is None else f"{kept} AND ({condition})"


def _holds(bits: str, buckets: int) -> str:
    """Whether the column ``bits`` holds the joined bucket's bit."""
    if buckets <= _WORD:
        return f'("{bits}" >> buckets.bucket_id) & 1 = 1'
    return f'get_bit("{bits}", buckets.bucket_id::INTEGER) = 1'
