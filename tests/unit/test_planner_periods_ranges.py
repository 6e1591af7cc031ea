"""Periods on the days a calendar turns over (2 January, 31 March, 1 December), questions naming
no period or several, and what is made of a range found: its label, the period before it and the
same period last year; random text never breaks the finder.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.planner.periods import (
    PeriodMatch,
    find_period,
    find_periods,
    period_label,
    previous_period,
    same_period_last_year,
)
from tests.unit._planner_period_cases import WEDNESDAY, check_period, span

NEW_YEAR = date(2026, 1, 2)  # a Friday
QUARTER_END = date(2026, 3, 31)  # a Tuesday

NEW_YEAR_CASES = [
    ("last week", "last week", "2025-12-22", "2025-12-28", "week"),
    ("this week", "this week", "2025-12-29", "2026-01-02", "week"),
    ("last month", "last month", "2025-12-01", "2025-12-31", "month"),
    ("this month", "this month", "2026-01-01", "2026-01-01", "month"),
    ("last quarter", "last quarter", "2025-10-01", "2025-12-31", "quarter"),
    ("YTD", "YTD", "2026-01-01", "2026-01-01", "year"),
    ("last year", "last year", "2025-01-01", "2025-12-31", "year"),
    ("December", "December", "2025-12-01", "2025-12-31", "month"),
    ("last December", "last December", "2025-12-01", "2025-12-31", "month"),
    ("Q4", "Q4", "2025-10-01", "2025-12-31", "quarter"),
    ("over Christmas", "Christmas", "2025-12-24", "2025-12-26", None),
    ("Black Friday", "Black Friday", "2025-11-28", "2025-11-28", "day"),
    ("holiday season", "holiday season", "2025-11-28", "2025-12-31", None),
    ("past 30 days", "past 30 days", "2025-12-03", "2026-01-01", None),
    ("the last 4 weeks", "last 4 weeks", "2025-12-01", "2025-12-28", "week"),
    ("since 1 Dec", "since 1 Dec", "2025-12-01", "2026-01-01", None),
    ("yesterday", "yesterday", "2026-01-01", "2026-01-01", "day"),
    ("last weekend", "last weekend", "2025-12-27", "2025-12-28", None),
    ("Nov 30", "Nov 30", "2025-11-30", "2025-11-30", "day"),
    ("week 1", "week 1", "2025-12-29", "2026-01-02", "week"),
    ("letzten Monat", "letzten Monat", "2025-12-01", "2025-12-31", "month"),
    ("el año pasado", "año pasado", "2025-01-01", "2025-12-31", "year"),
]

QUARTER_END_CASES = [
    ("last month", "last month", "2026-02-01", "2026-02-28", "month"),
    ("this month", "this month", "2026-03-01", "2026-03-30", "month"),
    ("this quarter", "this quarter", "2026-01-01", "2026-03-30", "quarter"),
    ("last quarter", "last quarter", "2025-10-01", "2025-12-31", "quarter"),
    ("the last 3 months", "last 3 months", "2025-12-01", "2026-02-28", "month"),
    ("last week", "last week", "2026-03-23", "2026-03-29", "week"),
    ("last 30 days", "last 30 days", "2026-03-01", "2026-03-30", None),
    ("April", "April", "2025-04-01", "2025-04-30", "month"),
    ("March", "March", "2026-03-01", "2026-03-30", "month"),
    ("le mois dernier", "mois dernier", "2026-02-01", "2026-02-28", "month"),
]

NOT_PERIODS = [
    "top 10 customers",
    "what would a 20% win-back offer return?",
    "4 new products",
    "iPhone 15 sales",
    "size 10 shoes",
    "short instagram caption for the new rain shell",
    "update my slack status to OOO",
    "who should we win back?",
    "how many customers do we have",
    "at least 4 weeks of stock",
    "weekly revenue report",
    "our quarterly plan",
    "May I see the churn numbers?",
    "24/7 support",
    "buy 1 get 1 free",
    "a 15% discount on 2 items",
    "top 2000 customers",
    "order #2025",
    "$2025 in sales",
    "the last 10 orders",
    "first order discount",
    "the same period last year",
    "and the week before?",
    "Wie hoch ist der Umsatz?",
    "¿Cuántos clientes tenemos?",
    "Quel est notre chiffre d'affaires ?",
    "3 to 5 days shipping",
    "a layer of insulation",
    "1.5x ROAS",
    # real words are never typos of period words ("about" is not août, "nombre" not noviembre)
    "what were customers writing about?",
    "nombre de commandes",
    "find her order",
    "a 50/50 split",
    "1/2 price boots",
    "we're open 24/7 for support",
]


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), NEW_YEAR_CASES)
def test_periods_cross_the_year_boundary_on_2_january(text, phrase, start, end, grain):
    check_period(text, NEW_YEAR, phrase, start, end, grain)


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), QUARTER_END_CASES)
def test_periods_on_the_last_day_of_a_quarter(text, phrase, start, end, grain):
    check_period(text, QUARTER_END, phrase, start, end, grain)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("MTD", "2026-12-01", "2026-12-01"),  # the first day: yesterday is before the month
        ("this quarter", "2026-10-01", "2026-11-30"),
        ("this week", "2026-11-30", "2026-12-01"),  # a week to date ends today
    ],
)
def test_on_the_first_of_a_month_its_to_date_period_is_today(text, start, end):
    match = find_period(text, date(2026, 12, 1))
    assert match is not None and match.range == span(start, end)


@pytest.mark.parametrize("text", NOT_PERIODS)
def test_a_question_that_names_no_period_has_none(text):
    assert find_period(text, WEDNESDAY) is None
    assert find_periods(text, WEDNESDAY) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("October vs September", [("October", "Oct 2026"), ("September", "Sep 2026")]),
        (
            "this week and the week before",
            [("this week", "23–25 Nov 2026"), ("week before", "16–22 Nov 2026")],
        ),
        ("October and the month before", [("October", "Oct 2026"), ("month before", "Sep 2026")]),
        (
            "last week vs the same week last year",
            [("last week", "16–22 Nov 2026"), ("same week last year", "17–23 Nov 2025")],
        ),
        ("Q4 2025 vs Q4 2024", [("Q4 2025", "Q4 2025"), ("Q4 2024", "Q4 2024")]),
        ("compare 2025 with 2024", [("2025", "2025"), ("2024", "2024")]),
        (
            "how did email do last week and who should we win back?",
            [("last week", "16–22 Nov 2026")],
        ),
        (
            "Black Friday weekend vs last weekend",
            [("Black Friday weekend", "28–30 Nov 2025"), ("last weekend", "21–22 Nov 2026")],
        ),
        (
            "ventas de ayer vs el mismo día del año pasado",
            [("ayer", "24 Nov 2026"), ("mismo día del año pasado", "24 Nov 2025")],
        ),
        (
            "diese Woche und letzte Woche",
            [("diese Woche", "23–25 Nov 2026"), ("letzte Woche", "16–22 Nov 2026")],
        ),
    ],
)
def test_every_period_in_a_question_is_found_in_text_order(text, expected):
    matches = find_periods(text, WEDNESDAY)
    assert [(m.phrase, period_label(m.range)) for m in matches] == expected
    assert [text[m.start : m.end] for m in matches] == [phrase for phrase, _ in expected]


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (span("2026-11-02", "2026-11-08"), "2–8 Nov 2026"),
        (span("2026-10-01", "2026-10-31"), "Oct 2026"),
        (span("2026-07-01", "2026-09-30"), "Q3 2026"),
        (span("2026-09-01", "2026-11-24"), "1 Sep – 24 Nov 2026"),
        (span("2026-11-16", "2026-11-16"), "16 Nov 2026"),
        (span("2025-01-01", "2025-12-31"), "2025"),
        (span("2026-10-26", "2026-11-01"), "26 Oct – 1 Nov 2026"),
        (span("2025-12-28", "2026-01-03"), "28 Dec 2025 – 3 Jan 2026"),
        (span("2026-01-01", "2026-11-25"), "1 Jan – 25 Nov 2026"),
        (span("2026-09-01", "2026-11-30"), "1 Sep – 30 Nov 2026"),
    ],
)
def test_a_range_is_labelled_as_people_write_it(period, label):
    assert period_label(period) == label


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("last week", span("2026-11-09", "2026-11-15")),
        ("October", span("2026-09-01", "2026-09-30")),
        ("Q3", span("2026-04-01", "2026-06-30")),
        ("2025", span("2024-01-01", "2024-12-31")),
        ("the last 4 weeks", span("2026-09-28", "2026-10-25")),
        ("since 1 Sep", span("2026-06-08", "2026-08-31")),
        ("the last 3 months", span("2026-05-01", "2026-07-31")),
    ],
)
def test_the_previous_period_of_a_named_period(text, previous):
    match = find_period(text, WEDNESDAY)
    assert match is not None
    assert previous_period(match.range) == previous


@pytest.mark.parametrize(
    ("text", "last_year"),
    [
        ("October", span("2025-10-01", "2025-10-31")),
        ("Q3", span("2025-07-01", "2025-09-30")),
        ("last week", span("2025-11-17", "2025-11-23")),  # 52 weeks back: Monday to Sunday
        ("the last 4 weeks", span("2025-10-27", "2025-11-23")),
        ("Oct 1-15", span("2025-10-01", "2025-10-15")),
    ],
)
def test_the_same_period_last_year_of_a_named_period(text, last_year):
    match = find_period(text, WEDNESDAY)
    assert match is not None
    assert same_period_last_year(match.range) == last_year


def test_the_first_period_is_the_one_found_first_in_the_text():
    match = find_period("revenue last week compared with October", WEDNESDAY)
    assert match is not None and match.phrase == "last week"


_WORDS = [
    "last", "this", "next", "week", "weeks", "month", "quarter", "year", "days", "since",
    "between", "and", "to", "from", "of", "the", "in", "on", "Q3", "Q4", "2025", "2026", "1", "4",
    "15", "30", "2/11", "13/11", "11/2/2026", "2.11.2026", "-", "%", "$", "October", "Nov", "May",
    "Mar", "Black", "Friday", "weekend", "Christmas", "before", "same", "period", "ago",
    "yesterday", "today", "letzte", "Woche", "semana", "pasada", "dernier", "mois", "3rd", "1er",
    "3.", "third", "Quartal", "w/c", "KW45", "trimestre", "hace", "vor", "il", "y", "a",
]  # fmt: skip


@settings(deadline=None)  # the first call loads dateparser's language data
@given(
    words=st.lists(st.sampled_from(_WORDS), max_size=12),
    today=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
)
def test_any_text_gives_ordered_periods_whose_phrases_are_in_the_text(words, today):
    text = " ".join(words)
    matches = find_periods(text, today)
    assert all(isinstance(m, PeriodMatch) for m in matches)
    for m in matches:
        assert text[m.start : m.end] == m.phrase and m.phrase
        assert m.future == (m.range.end > today)
    assert all(a.end <= b.start for a, b in zip(matches, matches[1:], strict=False))


def test_a_phrase_read_two_ways_is_matched_once() -> None:
    # "2025 Q3" is read both as a quarter and as a year: hypothesis found both matched.
    matches = find_periods("2025 2025 Q3", date(2023, 1, 1))
    assert all(a.end <= b.start for a, b in zip(matches, matches[1:], strict=False))
    assert [m.phrase for m in matches] == ["2025 2025 Q3"]
