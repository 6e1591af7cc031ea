"""The number guard: figures in a text must be in what it was written from, allowing rounding
and formatting (the support answer writer holds a model's answer to its passages with it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel

from integrations.llm import check_figures, extract_figures

FACTS = {
    "revenue": 1204.3,
    "growth": 0.125,
    "churn_delta": -0.031,
    "orders": 1830,
    "target_low": 0.10,
    "target_high": 0.15,
    "week_end": date(2026, 11, 22),
    "segments": ["champions", "at risk", "hibernating"],
}


@pytest.mark.parametrize(
    "sentence",
    [
        "Revenue was $1,204 last week.",
        "Revenue was 1,204.3 dollars.",
        "Revenue was about 1.2k.",
        "Revenue was about $1,200.",
        "Revenue grew 12.5% week over week.",
        "Revenue grew 12.5 percent.",
        "Revenue grew 13%.",
        "Growth was 0.125 as a fraction.",
        "Churn fell 3.1 pp.",
        "Churn moved −3.1 percentage points.",
        "The target is 10–15% growth.",
        "The target is 10-15%.",
        "We took 1,830 orders (1.83k).",
        "For the week ending 2026-11-22.",
        "For the week ending November 22, 2026.",
        "Across 3 segments.",
        "Q4 looks strong for our B2B accounts, says gpt-4o at 09:00.",
        "Nothing numeric at all.",
    ],
)
def test_figures_written_from_the_facts_pass(sentence: str) -> None:
    verdict = check_figures(sentence, FACTS)
    assert verdict.passed, verdict.reason


@pytest.mark.parametrize(
    ("sentence", "offending"),
    [
        ("Revenue grew 12.5%, and next week will bring 18%.", ["18%"]),
        ("Revenue was $1,204 and margin $2,000.", ["$2,000"]),
        ("Revenue grew 12.6%.", ["12.6%"]),
        ("Revenue fell -12.5%.", ["-12.5%"]),
        ("The best week since 2019.", ["2019"]),
        ("For the week ending 2026-11-23.", ["2026-11-23"]),
        ("Revenue was 1.3k.", ["1.3k"]),
        ("We took 1,840 orders.", ["1,840"]),
        ("Across 4 segments and 5x ROI.", ["4", "5"]),
        ("Growth of 12.5 on a plain scale.", ["12.5"]),
    ],
)
def test_a_figure_that_is_not_in_the_facts_is_refused(sentence: str, offending: list[str]) -> None:
    verdict = check_figures(sentence, FACTS)
    assert [figure.text for figure in verdict.offending] == offending
    assert verdict.reason == "figures not in the facts: " + ", ".join(offending)


def test_extracted_figures_carry_their_value_precision_and_unit() -> None:
    figures = extract_figures("Up 12.5% to $1.2k, then −3 and 2026-11-22.")
    assert [(f.text, f.value, f.step, f.percent, f.signed) for f in figures] == [
        ("12.5%", 12.5, 0.1, True, False),
        ("$1.2k", 1200.0, 100.0, False, False),
        ("−3", -3.0, 1.0, False, True),
        ("2026-11-22", date(2026, 11, 22), 1.0, False, False),
    ]


def test_numbers_written_inside_fact_strings_count_as_facts() -> None:
    facts = {"summary": "Revenue $1,204.30, growth 12.5%, week ending 2026-11-22"}
    assert check_figures("Revenue $1,204 grew 12.5% (0.125) by 2026-11-22.", facts).passed


def test_facts_held_in_dataclasses_pydantic_models_and_datetimes_are_read() -> None:
    @dataclass
    class Kpi:
        name: str
        value: float

    class Digest(BaseModel):
        kpis: list[Kpi]
        generated_at: datetime

    facts = Digest(kpis=[Kpi("aov", 87.5)], generated_at=datetime(2026, 11, 23, 9, 0))
    assert check_figures("AOV was $87.50 on 2026-11-23 (1 KPI).", facts).passed


def test_booleans_and_none_are_not_numbers() -> None:
    assert not check_figures("We saw 1 new customer.", {"ok": True, "missing": None}).passed


def test_numbers_the_caller_vouches_for_are_allowed() -> None:
    assert check_figures("Offers are capped at 30%.", FACTS, allowed=[0.30]).passed


_FORMATS = [
    lambda f, d: f"{f:.{d}f}",
    lambda f, d: f"{f:,.{d}f}",
    lambda f, d: ("-" if f < 0 else "") + f"${abs(f):,.{d}f}",
    lambda f, d: f"{f * 100:.{d}f}%",
    lambda f, d: f"{f * 100:+.{d}f} pp",
    lambda f, d: f"{f / 1e3:.{d}f}k",
    lambda f, d: f"{f / 1e6:.{d}f}M",
    lambda f, d: f"{f / 1e9:.{d}f}bn",
    lambda f, d: f"{f / 1e6:,.{d}f} million",
]


@given(
    fact=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    decimals=st.integers(min_value=0, max_value=3),
    style=st.sampled_from(range(len(_FORMATS))),
)
def test_any_fact_formatted_in_any_supported_way_passes(
    fact: float, decimals: int, style: int
) -> None:
    shown = _FORMATS[style](fact, decimals)
    verdict = check_figures(f"Last week the figure was {shown}, as planned.", {"figure": fact})
    assert verdict.passed, (shown, verdict.reason)


@given(
    facts=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
    smuggled=st.integers(min_value=11, max_value=10**7).filter(lambda n: n % 10 != 0),
)
def test_a_whole_number_not_in_the_facts_is_refused(facts: list[int], smuggled: int) -> None:
    assume(all(abs(smuggled - fact) >= 1 for fact in facts))
    verdict = check_figures(f"We also expect {smuggled:,} new customers.", {"counts": facts})
    assert [figure.text for figure in verdict.offending] == [f"{smuggled:,}"]


@given(
    facts=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=8),
    tenths=st.integers(min_value=1, max_value=999),
)
def test_a_percentage_not_in_the_facts_is_refused(facts: list[float], tenths: int) -> None:
    shown = tenths / 10
    assume(all(abs(shown - fact * 100) > 0.051 and abs(shown - fact) > 0.051 for fact in facts))
    verdict = check_figures(f"Conversion reached {shown:.1f}% this week.", {"rates": facts})
    assert [figure.text for figure in verdict.offending] == [f"{shown:.1f}%"]
