"""Calendar arithmetic for metrics queries: comparison periods and the buckets of a series.

- **previous period**: the same-length period just before; a period of whole calendar months
  (a month, a quarter, a year, or any run of months) is compared with the same number of whole
  months before it, so March is set against February (28 days), not 31 days back.
- **same period last year**: whole months → the same months a year earlier; whole Monday–Sunday
  weeks → the weeks 52 weeks earlier (the same weekdays, as retail compares); any other range →
  the same dates a year earlier (29 February → 28 February).
- **four-week average**: the periods of the same length that fill the 4 weeks ending on the
  period's last day (4 weeks for a week, 28 days for a day); only for lengths that divide 28.
- **series buckets**: calendar days, weeks (from Monday), months, quarters or years, cut at the
  period's ends, so the first and last buckets may be shorter than the grain.
"""

from __future__ import annotations

from datetime import date, timedelta

from integrations.warehouse.metrics._exceptions import MetricQueryError
from integrations.warehouse.metrics.query import DateRange, Grain

AVERAGE_DAYS = 28
_DAY = timedelta(days=1)
_FIFTY_TWO_WEEKS = timedelta(weeks=52)
A_WEEK = timedelta(weeks=1)


def previous_period(period: DateRange) -> DateRange:
    """The period just before ``period``: as many whole months, or as many days — except a
    period to date (it starts a year, quarter, month or week and ends before its end), which is
    set against the same days of the year, quarter, month or week before (this month so far
    against the same days of last month, not the days just before)."""
    months = _whole_months(period)
    if months:
        return DateRange(start=_add_months(period.start, -months), end=period.start - _DAY)
    to_date = _to_date_unit(period)
    if to_date:
        start = _add_months(period.start, -to_date)
        return DateRange(start=start, end=_months_before(period.end, to_date))
    if period.start.weekday() == 0 and period.days < 7:
        return shifted(period, A_WEEK)
    return DateRange(start=period.start - timedelta(days=period.days), end=period.start - _DAY)


def _to_date_unit(period: DateRange) -> int:
    """The months of the unit a period-to-date runs in (12: a year, 3: a quarter, 1: a month),
    0 when ``period`` is not one (it does not start a unit, or it is longer than one)."""
    start = period.start
    for months, starts in ((12, start.month == 1), (3, start.month % 3 == 1), (1, True)):
        if start.day == 1 and starts and period.end < _add_months(start, months):
            return months
    return 0


def _months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (that month's last day when shorter)."""
    first = _add_months(day.replace(day=1), -months)
    last = (_add_months(first, 1) - _DAY).day
    return first.replace(day=min(day.day, last))


def same_period_last_year(period: DateRange) -> DateRange:
    """The matching period a year before (see the module docstring for weeks and months)."""
    if _whole_months(period):
        end_month = _add_months(period.end.replace(day=1), -12)
        return DateRange(start=_add_months(period.start, -12), end=_add_months(end_month, 1) - _DAY)
    if period.start.weekday() == 0 and period.days % 7 == 0:
        return shifted(period, _FIFTY_TWO_WEEKS)
    return DateRange(start=_year_before(period.start), end=_year_before(period.end))


def four_week_blocks(period: DateRange) -> tuple[DateRange, ...]:
    """The same-length periods filling the 4 weeks that end on ``period.end``, oldest first."""
    if AVERAGE_DAYS % period.days:
        raise MetricQueryError(
            f"a four-week average compares a day, a week, a fortnight or four weeks; "
            f"{period.start:%Y-%m-%d} to {period.end:%Y-%m-%d} is {period.days} days — compare "
            "with the previous period or the same period last year instead"
        )
    length = timedelta(days=period.days)
    count = AVERAGE_DAYS // period.days
    return tuple(shifted(period, length * back) for back in reversed(range(count)))


def shifted(period: DateRange, back: timedelta) -> DateRange:
    """``period`` moved ``back`` earlier, its length kept."""
    return DateRange(start=period.start - back, end=period.end - back)


def series_buckets(period: DateRange, grain: Grain) -> tuple[DateRange, ...]:
    """Every bucket of ``grain`` in ``period``, in order, cut at the period's ends."""
    buckets = []
    start = period.start
    while start <= period.end:
        end = min(_next_start(start, grain) - _DAY, period.end)
        buckets.append(DateRange(start=start, end=end))
        start = end + _DAY
    return tuple(buckets)


def _next_start(day: date, grain: Grain) -> date:
    """The first day of the bucket after ``day``'s."""
    if grain == "day":
        return day + _DAY
    if grain == "week":
        return day + timedelta(days=7 - day.weekday())
    if grain == "month":
        return _add_months(day.replace(day=1), 1)
    if grain == "quarter":
        return _add_months(day.replace(day=1), 3 - (day.month - 1) % 3)
    return date(day.year + 1, 1, 1)


def _whole_months(period: DateRange) -> int:
    """How many calendar months ``period`` spans when it is whole months; 0 otherwise."""
    if period.start.day != 1 or (period.end + _DAY).day != 1:
        return 0
    end = period.end + _DAY
    return (end.year - period.start.year) * 12 + end.month - period.start.month


def _add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (only used with the first of a month)."""
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)
