"""One named period in a question → days in the team's calendar (weeks Monday–Sunday), asked
on Wednesday 25 November 2026: English, retail days, shorthand, seasons, typos, German, Spanish
and French, and forecasts (see ``_planner_period_cases`` for the calendar and the to-date rule).
"""

from __future__ import annotations

import pytest

from agents.planner.periods import find_period, find_periods, impossible_date
from tests.unit._planner_period_cases import WEDNESDAY, check_period, span

# (question, phrase found, first day, last day, grain)
ENGLISH = [
    ("revenue last week", "last week", "2026-11-16", "2026-11-22", "week"),
    ("how are we doing this week?", "this week", "2026-11-23", "2026-11-25", "week"),
    ("orders the week before last", "week before last", "2026-11-09", "2026-11-15", "week"),
    ("sales last weekend", "last weekend", "2026-11-21", "2026-11-22", None),
    ("what sold over the weekend", "over the weekend", "2026-11-21", "2026-11-22", None),
    (
        "What was our revenue in the week of 2 November 2026?",
        "week of 2 November 2026",
        "2026-11-02",
        "2026-11-08",
        "week",
    ),
    ("orders w/c 2 November", "w/c 2 November", "2026-11-02", "2026-11-08", "week"),
    ("the week of Nov 4", "week of Nov 4", "2026-11-02", "2026-11-08", "week"),
    # numeric dates are month/day: 2/11 is 11 February, a Wednesday
    ("the week starting 2/11", "week starting 2/11", "2026-02-09", "2026-02-15", "week"),
    ("yesterday's orders", "yesterday", "2026-11-24", "2026-11-24", "day"),
    ("tickets today", "today", "2026-11-25", "2026-11-25", "day"),
    ("revenue on 3 November", "3 November", "2026-11-03", "2026-11-03", "day"),
    ("Nov 3rd sales", "Nov 3rd", "2026-11-03", "2026-11-03", "day"),
    ("sales on the 3rd of November", "3rd of November", "2026-11-03", "2026-11-03", "day"),
    ("orders on 11/2/2026", "11/2/2026", "2026-11-02", "2026-11-02", "day"),
    ("orders on 2026-11-02", "2026-11-02", "2026-11-02", "2026-11-02", "day"),
    ("Total revenue for October 2026?", "October 2026", "2026-10-01", "2026-10-31", "month"),
    ("revenue in October", "October", "2026-10-01", "2026-10-31", "month"),
    ("how did we do in Oct", "Oct", "2026-10-01", "2026-10-31", "month"),
    ("October 2025 revenue", "October 2025", "2025-10-01", "2025-10-31", "month"),
    ("revenue last month", "last month", "2026-10-01", "2026-10-31", "month"),
    ("revenue this month", "this month", "2026-11-01", "2026-11-24", "month"),
    ("November so far", "November", "2026-11-01", "2026-11-24", "month"),
    (
        "are we going to beat last December's sales?",
        "last December",
        "2025-12-01",
        "2025-12-31",
        "month",
    ),
    ("December revenue", "December", "2025-12-01", "2025-12-31", "month"),
    ("sales in May", "May", "2026-05-01", "2026-05-31", "month"),
    ("Mar 3 orders", "Mar 3", "2026-03-03", "2026-03-03", "day"),
    ("Q3", "Q3", "2026-07-01", "2026-09-30", "quarter"),
    ("revenue in Q3 2025", "Q3 2025", "2025-07-01", "2025-09-30", "quarter"),
    ("last quarter's ROAS", "last quarter", "2026-07-01", "2026-09-30", "quarter"),
    ("this quarter", "this quarter", "2026-10-01", "2026-11-24", "quarter"),
    ("third quarter", "third quarter", "2026-07-01", "2026-09-30", "quarter"),
    ("Q4 so far", "Q4", "2026-10-01", "2026-11-24", "quarter"),
    ("Q1", "Q1", "2026-01-01", "2026-03-31", "quarter"),
    ("the first quarter of 2025", "first quarter of 2025", "2025-01-01", "2025-03-31", "quarter"),
    ("Q3 last year", "Q3 last year", "2025-07-01", "2025-09-30", "quarter"),
    ("revenue in 2025", "2025", "2025-01-01", "2025-12-31", "year"),
    ("revenue last year", "last year", "2025-01-01", "2025-12-31", "year"),
    ("revenue this year", "this year", "2026-01-01", "2026-11-24", "year"),
    ("YTD revenue", "YTD", "2026-01-01", "2026-11-24", "year"),
    ("revenue year to date", "year to date", "2026-01-01", "2026-11-24", "year"),
    ("revenue year-to-date", "year-to-date", "2026-01-01", "2026-11-24", "year"),
    ("MTD orders", "MTD", "2026-11-01", "2026-11-24", "month"),
    ("QTD spend", "QTD", "2026-10-01", "2026-11-24", "quarter"),
    ("revenue the last 4 weeks", "last 4 weeks", "2026-10-26", "2026-11-22", "week"),
    ("past four weeks", "past four weeks", "2026-10-26", "2026-11-22", "week"),
    ("tickets in the last 30 days", "last 30 days", "2026-10-26", "2026-11-24", None),
    ("past 30 days", "past 30 days", "2026-10-26", "2026-11-24", None),
    ("last 7 days", "last 7 days", "2026-11-18", "2026-11-24", None),
    ("the last 12 months", "last 12 months", "2025-11-01", "2026-10-31", "month"),
    ("revenue since 1 Sep", "since 1 Sep", "2026-09-01", "2026-11-24", None),
    ("since 13/11", "since 13/11", "2026-11-13", "2026-11-24", None),
    ("since last week", "since last week", "2026-11-16", "2026-11-24", None),
    ("between 1 and 15 October", "between 1 and 15 October", "2026-10-01", "2026-10-15", None),
    ("orders Oct 1-15", "Oct 1-15", "2026-10-01", "2026-10-15", None),
    ("from 2 Nov to 8 Nov", "from 2 Nov to 8 Nov", "2026-11-02", "2026-11-08", None),
    ("from 11/2 to 11/8", "from 11/2 to 11/8", "2026-11-02", "2026-11-08", None),
    ("Sep to Nov", "Sep to Nov", "2026-09-01", "2026-11-24", "month"),
    ("between October and December 2025", "between October and December 2025",
     "2025-10-01", "2025-12-31", "month"),
    ("Dec 20 - Jan 5", "Dec 20 - Jan 5", "2025-12-20", "2026-01-05", None),
    ("2 weeks ago", "2 weeks ago", "2026-11-09", "2026-11-15", "week"),
    ("a month ago", "a month ago", "2026-10-01", "2026-10-31", "month"),
    ("last Monday", "last Monday", "2026-11-23", "2026-11-23", "day"),
    ("orders on Friday", "Friday", "2026-11-20", "2026-11-20", "day"),
    ("orders on Wednesday", "Wednesday", "2026-11-25", "2026-11-25", "day"),
    ("this week last year", "this week last year", "2025-11-24", "2025-11-30", "week"),
    ("October last year", "October last year", "2025-10-01", "2025-10-31", "month"),
    ("KW 45", "KW 45", "2026-11-02", "2026-11-08", "week"),
    ("week 45 of 2025", "week 45 of 2025", "2025-11-03", "2025-11-09", "week"),
]  # fmt: skip

RETAIL = [
    ("Black Friday", "Black Friday", "2025-11-28", "2025-11-28", "day"),
    (
        "how much did we sell over Black Friday weekend?",
        "Black Friday weekend",
        "2025-11-28",
        "2025-11-30",
        None,
    ),
    ("Cyber Monday orders", "Cyber Monday", "2025-12-01", "2025-12-01", "day"),
    ("BFCM revenue", "BFCM", "2025-11-28", "2025-12-01", None),
    ("Black Friday to Cyber Monday", "Black Friday to Cyber Monday", "2025-11-28", "2025-12-01",
     None),
    ("Thanksgiving", "Thanksgiving", "2025-11-27", "2025-11-27", "day"),
    # Thanksgiving week 2026 began on Monday 23 November: in progress, so cut at today
    ("Thanksgiving week", "Thanksgiving week", "2026-11-23", "2026-11-25", "week"),
    ("sales over Christmas", "Christmas", "2025-12-24", "2025-12-26", None),
    ("Christmas Eve", "Christmas Eve", "2025-12-24", "2025-12-24", "day"),
    ("the holiday season", "holiday season", "2025-11-28", "2025-12-31", None),
    ("Black Friday 2025", "Black Friday 2025", "2025-11-28", "2025-11-28", "day"),
    ("Black Friday 2024", "Black Friday 2024", "2024-11-29", "2024-11-29", "day"),
    ("last year's Black Friday", "last year's Black Friday", "2025-11-28", "2025-11-28", "day"),
    ("since Black Friday", "since Black Friday", "2025-11-28", "2026-11-24", None),
    ("Weihnachten", "Weihnachten", "2025-12-24", "2025-12-26", None),
    ("ventas en Navidad", "Navidad", "2025-12-24", "2025-12-26", None),
    ("les ventes de Noël", "Noël", "2025-12-24", "2025-12-26", None),
    ("orders on Halloween", "Halloween", "2026-10-31", "2026-10-31", "day"),
    # Halloween 2026 is a Saturday; Thanksgiving 2025 a Thursday, Labor Day 2026 a Monday
    ("Halloween weekend", "Halloween weekend", "2026-10-31", "2026-11-01", None),
    ("Thanksgiving weekend last year", "Thanksgiving weekend last year", "2025-11-27",
     "2025-11-30", None),
    ("Labor Day weekend", "Labor Day weekend", "2026-09-05", "2026-09-07", None),
    ("Memorial Day", "Memorial Day", "2026-05-25", "2026-05-25", "day"),
    ("Easter", "Easter", "2026-04-03", "2026-04-06", None),  # Good Friday to Easter Monday
    ("BF weekend", "BF weekend", "2025-11-28", "2025-11-30", None),
]  # fmt: skip

FUTURE = [
    ("forecast next week", "next week", "2026-11-30", "2026-12-06", "week"),
    ("next month", "next month", "2026-12-01", "2026-12-31", "month"),
    ("next quarter", "next quarter", "2027-01-01", "2027-03-31", "quarter"),
    ("next year", "next year", "2027-01-01", "2027-12-31", "year"),
    ("forecast for this December", "this December", "2026-12-01", "2026-12-31", "month"),
    ("Black Friday 2026", "Black Friday 2026", "2026-11-27", "2026-11-27", "day"),
    ("the next 4 weeks", "next 4 weeks", "2026-11-30", "2026-12-27", "week"),
    ("this weekend", "this weekend", "2026-11-28", "2026-11-29", None),
    ("nächsten Monat", "nächsten Monat", "2026-12-01", "2026-12-31", "month"),
    ("la semana que viene", "semana que viene", "2026-11-30", "2026-12-06", "week"),
    ("le mois prochain", "mois prochain", "2026-12-01", "2026-12-31", "month"),
    # "this" and "next" name the coming one, though a bare name is the latest that has begun
    ("this Black Friday", "this Black Friday", "2026-11-27", "2026-11-27", "day"),
    ("next Cyber Monday", "next Cyber Monday", "2026-11-30", "2026-11-30", "day"),
]
ABBREVIATED = [
    ("L30D revenue", "L30D", "2026-10-26", "2026-11-24", None),
    ("tickets L4W", "L4W", "2026-10-26", "2026-11-22", "week"),
    ("T12M orders", "T12M", "2025-11-01", "2026-10-31", "month"),
    ("orders over the last fortnight", "last fortnight", "2026-11-09", "2026-11-22", "week"),
    ("yday's orders", "yday", "2026-11-24", "2026-11-24", "day"),
    ("revenue in H1", "H1", "2026-01-01", "2026-06-30", None),
    ("the second half of 2025", "second half of 2025", "2025-07-01", "2025-12-31", None),
    ("ventes au T3", "T3", "2026-07-01", "2026-09-30", "quarter"),
    ("erstes Halbjahr", "erstes Halbjahr", "2026-01-01", "2026-06-30", None),
    ("el primer semestre", "primer semestre", "2026-01-01", "2026-06-30", None),
    ("orders since the 3rd", "since the 3rd", "2026-11-03", "2026-11-24", None),
    ("revenue since the start of October", "since the start of October", "2026-10-01",
     "2026-11-24", None),
    ("since the start of 2025", "since the start of 2025", "2025-01-01", "2026-11-24", None),
    ("Umsatz seit Anfang Oktober", "seit Anfang Oktober", "2026-10-01", "2026-11-24", None),
    ("bilan du week-end dernier", "week-end dernier", "2026-11-21", "2026-11-22", None),
]  # fmt: skip

GERMAN = [
    ("Umsatz letzte Woche", "letzte Woche", "2026-11-16", "2026-11-22", "week"),
    ("Bestellungen diese Woche", "diese Woche", "2026-11-23", "2026-11-25", "week"),
    ("Umsatz letzten Monat", "letzten Monat", "2026-10-01", "2026-10-31", "month"),
    ("Umsatz im Oktober", "Oktober", "2026-10-01", "2026-10-31", "month"),
    ("Umsatz seit Jahresbeginn", "seit Jahresbeginn", "2026-01-01", "2026-11-24", "year"),
    ("Umsatz im Vorjahr", "Vorjahr", "2025-01-01", "2025-12-31", "year"),
    ("letztes Jahr", "letztes Jahr", "2025-01-01", "2025-12-31", "year"),
    ("im dritten Quartal", "dritten Quartal", "2026-07-01", "2026-09-30", "quarter"),
    ("drittes Quartal 2025", "drittes Quartal 2025", "2025-07-01", "2025-09-30", "quarter"),
    ("3. Quartal", "3. Quartal", "2026-07-01", "2026-09-30", "quarter"),
    ("Umsatz Q3", "Q3", "2026-07-01", "2026-09-30", "quarter"),
    ("Bestellungen gestern", "gestern", "2026-11-24", "2026-11-24", "day"),
    ("vorletzte Woche", "vorletzte Woche", "2026-11-09", "2026-11-15", "week"),
    ("in den letzten 30 Tagen", "letzten 30 Tagen", "2026-10-26", "2026-11-24", None),
    ("seit dem 1. September", "seit dem 1. September", "2026-09-01", "2026-11-24", None),
    ("vom 1. bis 15. Oktober", "vom 1. bis 15. Oktober", "2026-10-01", "2026-10-15", None),
    ("am 2.11.2026", "2.11.2026", "2026-11-02", "2026-11-02", "day"),
    ("im Oktober letzten Jahres", "Oktober letzten Jahres", "2025-10-01", "2025-10-31", "month"),
    ("letzten Dezember", "letzten Dezember", "2025-12-01", "2025-12-31", "month"),
    ("in der Vorwoche", "Vorwoche", "2026-11-16", "2026-11-22", "week"),
    ("vor 3 Monaten", "vor 3 Monaten", "2026-08-01", "2026-08-31", "month"),
    ("KW45", "KW45", "2026-11-02", "2026-11-08", "week"),
]

SPANISH = [
    ("ventas la semana pasada", "semana pasada", "2026-11-16", "2026-11-22", "week"),
    ("pedidos esta semana", "esta semana", "2026-11-23", "2026-11-25", "week"),
    ("ingresos el mes pasado", "mes pasado", "2026-10-01", "2026-10-31", "month"),
    ("ventas en octubre", "octubre", "2026-10-01", "2026-10-31", "month"),
    ("el año pasado", "año pasado", "2025-01-01", "2025-12-31", "year"),
    ("desde el 1 de septiembre", "desde el 1 de septiembre", "2026-09-01", "2026-11-24", None),
    ("ayer", "ayer", "2026-11-24", "2026-11-24", "day"),
    ("el tercer trimestre", "tercer trimestre", "2026-07-01", "2026-09-30", "quarter"),
    ("los últimos 30 días", "últimos 30 días", "2026-10-26", "2026-11-24", None),
    ("las últimas 4 semanas", "últimas 4 semanas", "2026-10-26", "2026-11-22", "week"),
    ("octubre del año pasado", "octubre del año pasado", "2025-10-01", "2025-10-31", "month"),
    ("en lo que va del año", "en lo que va del año", "2026-01-01", "2026-11-24", "year"),
    ("este mes", "este mes", "2026-11-01", "2026-11-24", "month"),
    ("del 1 al 15 de octubre", "del 1 al 15 de octubre", "2026-10-01", "2026-10-15", None),
    ("hace 2 semanas", "hace 2 semanas", "2026-11-09", "2026-11-15", "week"),
    ("el trimestre pasado", "trimestre pasado", "2026-07-01", "2026-09-30", "quarter"),
    ("la semana antepasada", "semana antepasada", "2026-11-09", "2026-11-15", "week"),
]

FRENCH = [
    ("ventes la semaine dernière", "semaine dernière", "2026-11-16", "2026-11-22", "week"),
    ("cette semaine", "cette semaine", "2026-11-23", "2026-11-25", "week"),
    ("le mois dernier", "mois dernier", "2026-10-01", "2026-10-31", "month"),
    ("ventes en octobre", "octobre", "2026-10-01", "2026-10-31", "month"),
    ("l'année dernière", "année dernière", "2025-01-01", "2025-12-31", "year"),
    ("l'an dernier", "l'an dernier", "2025-01-01", "2025-12-31", "year"),
    ("depuis le 1er septembre", "depuis le 1er septembre", "2026-09-01", "2026-11-24", None),
    ("hier", "hier", "2026-11-24", "2026-11-24", "day"),
    ("le troisième trimestre", "troisième trimestre", "2026-07-01", "2026-09-30", "quarter"),
    ("les 30 derniers jours", "30 derniers jours", "2026-10-26", "2026-11-24", None),
    ("ce mois-ci", "ce mois", "2026-11-01", "2026-11-24", "month"),
    ("depuis le début de l'année", "depuis le début de l'année", "2026-01-01", "2026-11-24",
     "year"),
    ("du 1er au 15 octobre", "du 1er au 15 octobre", "2026-10-01", "2026-10-15", None),
    ("octobre dernier", "octobre dernier", "2026-10-01", "2026-10-31", "month"),
    ("il y a 2 semaines", "il y a 2 semaines", "2026-11-09", "2026-11-15", "week"),
    ("la semaine du 2 novembre", "semaine du 2 novembre", "2026-11-02", "2026-11-08", "week"),
]  # fmt: skip

TYPOS = [
    ("revenue lst week", "lst week", "2026-11-16", "2026-11-22", "week"),
    ("sales in novmber", "novmber", "2026-11-01", "2026-11-24", "month"),
    ("revenue in ocotber", "ocotber", "2026-10-01", "2026-10-31", "month"),
    ("orders yesturday", "yesturday", "2026-11-24", "2026-11-24", "day"),
    ("last quater", "last quater", "2026-07-01", "2026-09-30", "quarter"),
    ("last mnth", "last mnth", "2026-10-01", "2026-10-31", "month"),
    ("Decmber 2025", "Decmber 2025", "2025-12-01", "2025-12-31", "month"),
    ("la semaine derniere", "semaine derniere", "2026-11-16", "2026-11-22", "week"),
    ("letze Woche", "letze Woche", "2026-11-16", "2026-11-22", "week"),
]


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), ENGLISH + RETAIL)
def test_an_english_period_resolves_in_the_team_calendar(text, phrase, start, end, grain):
    check_period(text, WEDNESDAY, phrase, start, end, grain)


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), GERMAN + SPANISH + FRENCH)
def test_a_german_spanish_or_french_period_resolves_like_the_english_one(
    text, phrase, start, end, grain
):
    check_period(text, WEDNESDAY, phrase, start, end, grain)


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), ABBREVIATED)
def test_shorthand_halves_and_starts_of_periods_resolve(text, phrase, start, end, grain):
    check_period(text, WEDNESDAY, phrase, start, end, grain)


# Seasons run from March (spring), June, September and December (winter); "this winter" in
# November is the coming one. A unit before or after a named day is the whole unit before or
# after the one holding it: Christmas Eve 2025 was a Wednesday, Thanksgiving 2025 a Thursday.
SEASONS_AND_ANCHORS = [
    ("kayak sales this summer", "this summer", "2026-06-01", "2026-08-31", None),
    ("last winter", "last winter", "2025-12-01", "2026-02-28", None),
    ("this winter", "this winter", "2026-12-01", "2027-02-28", None),
    ("l'été dernier", "été dernier", "2026-06-01", "2026-08-31", None),
    ("the week before Christmas last year", "week before Christmas last year", "2025-12-15",
     "2025-12-21", "week"),
    ("2 weeks before Thanksgiving", "2 weeks before Thanksgiving", "2025-11-10", "2025-11-23",
     None),
    ("the month after Black Friday", "month after Black Friday", "2025-12-01", "2025-12-31",
     "month"),
    ("4th of July weekend", "4th of July weekend", "2026-07-04", "2026-07-05", None),
    ("sales over blacck friday weekend", "blacck friday weekend", "2025-11-28", "2025-11-30",
     None),  # a slip inside a phrase of several words
    ("revenue sinec 1 Sep", "sinec 1 Sep", "2026-09-01", "2026-11-24", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), SEASONS_AND_ANCHORS)
def test_seasons_and_units_around_a_named_day_resolve(text, phrase, start, end, grain):
    check_period(text, WEDNESDAY, phrase, start, end, grain)


@pytest.mark.parametrize(
    ("text", "phrases"),
    [("winter sports revenue", []), ("did sales fall last week", ["last week"]), ("a été", [])],
)
def test_a_season_word_without_this_last_next_or_a_year_is_no_season(text, phrases):
    assert [m.phrase for m in find_periods(text, WEDNESDAY)] == phrases


@pytest.mark.parametrize(
    ("text", "cues", "day"),
    [
        ("revenue 11/3", {"revenue"}, "2026-11-03"),  # right after a metric's word
        ("how many orders did we get 11/3?", set(), "2026-11-03"),  # ending the question
        ("orders on 11/3 by channel", set(), "2026-11-03"),  # after "on"
    ],
)
def test_a_bare_month_and_day_is_a_date_after_a_cue_or_at_the_end(text, cues, day):
    (match,) = find_periods(text, WEDNESDAY, frozenset(cues))
    assert match.range == span(day, day)


@pytest.mark.parametrize("text", ["11/3 revenue by channel", "1/2 price boots", "24/7 support?"])
def test_a_bare_month_and_day_without_a_cue_is_no_date(text):
    assert find_periods(text, WEDNESDAY, frozenset({"revenue"})) == []


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), TYPOS)
def test_a_typo_of_one_period_word_is_read_as_that_word(text, phrase, start, end, grain):
    check_period(text, WEDNESDAY, phrase, start, end, grain)


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), FUTURE)
def test_a_period_that_ends_after_today_is_a_forecast(text, phrase, start, end, grain):
    check_period(text, WEDNESDAY, phrase, start, end, grain)
    match = find_period(text, WEDNESDAY)
    assert match is not None and match.future


@pytest.mark.parametrize(("text", "phrase", "start", "end", "grain"), ENGLISH[:12] + GERMAN[:6])
def test_a_past_period_is_not_a_forecast(text, phrase, start, end, grain):
    match = find_period(text, WEDNESDAY)
    assert match is not None and not match.future


@pytest.mark.parametrize(
    ("text", "impossible"),
    [
        ("revenue on 2026-02-30", "2026-02-30"),
        ("revenue from 2026-13-01 to yesterday", "2026-13-01"),  # not read as 13 Jan
        ("orders on 31/11/2026", "31/11/2026"),  # neither 31 Nov nor month 31
        ("orders on 31.11.2026", "31.11.2026"),
        ("orders on 2025-02-29", "2025-02-29"),
        ("orders on 2024-02-29", None),
        ("orders on 11/30/2026 and 30/11/2026", None),  # month/day and day/month
        ("revenue 2026-11-01 to 2026-11-15", None),
        ("24/7 support, 50/50 split, orders on 13/13", None),  # no year: not a written date
    ],
)
def test_a_date_written_with_its_year_that_is_no_day_is_found(
    text: str, impossible: str | None
) -> None:
    assert impossible_date(text) == impossible
