"""The digest model: recommended actions follow fixed rules on hand-made facts; text and rows."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pydantic import ValidationError

from bot.blocks.digest import digest_blocks, kpi_sections
from workflows.digest import (
    ChannelRow,
    Digest,
    ForecastSummary,
    Kpi,
    SegmentMovement,
    SupportVolume,
    Unavailable,
    digest_from_sections,
)
from workflows.digest_actions import (
    ActionRules,
    ReviewSpendAction,
    SupportAction,
    WinbackAction,
    recommended_actions,
)
from workflows.digest_render import SHEET_HEADER, digest_rows, digest_text

RULES = ActionRules(min_movers=100, min_roas=3.0, forecast_shortfall=0.0, escalation_rise=0.05)


def _digest(**parts) -> Digest:
    return Digest(
        run_id="run-1", week_start=date(2026, 11, 16), week_end=date(2026, 11, 22), **parts
    )


def _channel(channel: str, *, spend: float, roas: float | None, previous: float | None = None):
    return ChannelRow(
        channel=channel,
        spend=spend,
        attributed_revenue=spend * (roas or 0),
        revenue_change_ratio=None,
        attributed_orders=10,
        new_customers=2,
        roas=roas,
        previous_roas=previous,
        cac=None,
    )


def _support(rate: float | None, previous: float | None) -> SupportVolume:
    return SupportVolume(
        week_start=date(2026, 11, 16),
        tickets=40,
        previous_tickets=36,
        escalated=8,
        escalation_rate=rate,
        previous_escalation_rate=previous,
        median_hours_to_resolve=12.0,
        top_topics=[("returns", 12), ("shipping", 10)],
    )


def _forecast(change: float | None) -> ForecastSummary:
    return ForecastSummary(
        model="ETS",
        weeks=8,
        first_week=date(2026, 11, 23),
        total=600_000.0,
        same_weeks_last_year=None if change is None else 600_000.0 / (1 + change),
        change_vs_last_year=change,
        backtest_mape=0.1,
    )


def test_customers_moving_into_at_risk_give_a_winback_action_with_the_segment() -> None:
    digest = _digest(
        movements=[
            SegmentMovement(from_segment="Loyal Customers", to_segment="At Risk", customers=200),
            SegmentMovement(from_segment="Need Attention", to_segment="At Risk", customers=112),
            SegmentMovement(from_segment="Champions", to_segment="Loyal Customers", customers=500),
        ]
    )

    (action,) = recommended_actions(digest, RULES)

    assert action.kind == "winback"
    assert action.text == (
        "312 customers moved into At Risk — start a win-back for the At Risk segment"
    )
    assert isinstance(action, WinbackAction)
    assert (action.segment, action.customers) == ("At Risk", 312)


def test_every_number_a_winback_action_cites_is_stated_in_the_customers_section() -> None:
    moves = [
        SegmentMovement(from_segment="Champions", to_segment="Loyal Customers", customers=500),
        SegmentMovement(from_segment="Need Attention", to_segment="At Risk", customers=112),
        SegmentMovement(from_segment="Loyal Customers", to_segment="At Risk", customers=200),
    ]
    digest = _digest(movements=moves, prose={"insights": "Since 16 Nov 2026: 500 moved on."})
    digest = digest.model_copy(update={"recommended_actions": recommended_actions(digest, RULES)})

    text = digest_text(digest)
    customers = text.split("## Customers")[1].split("##")[0]
    blocks = str(digest_blocks(digest))

    (action,) = digest.recommended_actions
    for number in re.findall(r"\d[\d,]*", action.text):
        assert number in customers
    assert "Moved into At Risk in the last week: 312 (200 from Loyal Customers, 112 from " in (
        customers
    )
    assert "Moved into At Risk in the last week: 312" in blocks
    assert "Start win-back for At Risk" in blocks  # the segment the action names


def test_few_movers_or_moves_out_of_a_winback_segment_recommend_nothing() -> None:
    digest = _digest(
        movements=[
            SegmentMovement(from_segment="Loyal Customers", to_segment="At Risk", customers=99),
            SegmentMovement(from_segment="At Risk", to_segment="Lost", customers=400),
            SegmentMovement(
                from_segment="Can't Lose Them", to_segment="Hibernating", customers=300
            ),
        ]
    )

    assert recommended_actions(digest, RULES) == []


def test_each_winback_segment_gets_its_own_action() -> None:
    digest = _digest(
        movements=[
            SegmentMovement(from_segment="Loyal Customers", to_segment="At Risk", customers=150),
            SegmentMovement(from_segment="Champions", to_segment="Can't Lose Them", customers=120),
        ]
    )

    actions = recommended_actions(digest, RULES)

    assert [a.segment for a in actions if isinstance(a, WinbackAction)] == [
        "At Risk",
        "Can't Lose Them",
    ]


def test_a_paid_channel_below_the_roas_floor_gets_a_review_spend_action() -> None:
    digest = _digest(
        channels=[
            _channel("paid_social", spend=500, roas=2.4, previous=3.6),
            _channel("paid_search", spend=800, roas=16.7),
            _channel("organic", spend=0, roas=None),
        ]
    )

    (action,) = recommended_actions(digest, RULES)

    assert action.kind == "review_spend"
    assert isinstance(action, ReviewSpendAction)
    assert (action.channel, action.roas) == ("paid_social", 2.4)
    assert action.text == "Paid social returned 2.4× (was 3.6×), below 3.0× — review its $500 spend"


def test_a_forecast_below_last_year_recommends_planning_and_one_above_does_not() -> None:
    (action,) = recommended_actions(_digest(forecast=_forecast(-0.12)), RULES)
    assert action.kind == "forecast"
    assert "12.0% below the same weeks last year" in action.text

    assert recommended_actions(_digest(forecast=_forecast(0.48)), RULES) == []
    assert recommended_actions(_digest(forecast=_forecast(None)), RULES) == []


def test_an_escalation_rate_up_by_the_threshold_recommends_reviewing_the_top_topics() -> None:
    (action,) = recommended_actions(_digest(support=_support(0.20, 0.12)), RULES)
    assert action.kind == "support"
    assert action.text == "Escalations rose to 20% of tickets (from 12%) — review returns, shipping"
    assert isinstance(action, SupportAction)
    assert action.topics == ["returns", "shipping"]

    assert recommended_actions(_digest(support=_support(0.14, 0.12)), RULES) == []
    assert recommended_actions(_digest(support=_support(0.20, None)), RULES) == []


def test_a_digest_without_some_sections_says_which_are_unavailable_and_why() -> None:
    support_facts = {
        "week_start": "2026-11-16",
        "tickets": 40,
        "previous_tickets": 36,
        "escalated": 5,
        "escalation_rate": 0.125,
        "previous_escalation_rate": 0.139,
        "median_hours_to_resolve": 16.5,
        "by_topic": {"returns": 12, "shipping": 12, "sizing": 5, "payment": 3},
    }

    digest = digest_from_sections(
        "run-2",
        {"support": support_facts},
        prose={"support": "40 tickets."},
        unavailable=[
            Unavailable(section="insights", reason="timed out after 120 s"),
            Unavailable(section="finance", reason="RuntimeError: boom"),
        ],
    )

    assert digest.week_start == date(2026, 11, 16)
    assert digest.headline == [] and digest.forecast is None
    assert digest.support is not None and digest.support.top_topics == [
        ("returns", 12),
        ("shipping", 12),
        ("sizing", 5),
    ]
    assert [u.section for u in digest.unavailable] == ["finance", "insights"]
    text = digest_text(digest)
    assert "- Finance: unavailable (RuntimeError: boom)" in text
    assert "- Insights: unavailable (timed out after 120 s)" in text
    assert "40 tickets." in text


def test_digest_rows_carry_the_week_the_figures_and_the_run() -> None:
    digest = _digest(
        channels=[_channel("paid_search", spend=800, roas=15.0, previous=20.0)],
        support=_support(0.2, 0.1),
    )

    rows = digest_rows(digest)

    assert all(len(row) == len(SHEET_HEADER) for row in rows)
    assert ["2026-11-16", "channel", "paid_search.roas", 15.0, 20.0, -0.25, "run-1"] in rows
    assert ["2026-11-16", "support", "tickets", 40, 36, 40 / 36 - 1, "run-1"] in rows


def test_a_rates_change_is_in_percentage_points_and_the_rest_relative() -> None:
    repeat = Kpi(
        name="repeat_rate",
        label="Repeat rate",
        unit="share",
        value=0.892,
        previous=0.901,
        change_ratio=0.892 / 0.901 - 1,
    )
    orders = Kpi(
        name="orders", label="Orders", unit="count", value=893, previous=850, change_ratio=0.05
    )
    first = Kpi(
        name="new_customers", label="New", unit="count", value=5, previous=None, change_ratio=None
    )
    digest = _digest(headline=[repeat, orders, first])

    text = digest_text(digest)

    assert "- Repeat rate: 89.2% (-0.9 pts)" in text  # 89.2% against 90.1%, not -1.0%
    assert "- Orders: 893 (+5.0%)" in text
    assert "- New: 5 (no comparison)" in text
    shown = str(kpi_sections(digest.headline))
    assert "89.2% (-0.9 pts)" in shown and "893 (+5.0%)" in shown and "5 (" not in shown


def test_a_digest_stored_before_the_actions_were_typed_reads_into_typed_actions() -> None:
    stored = {
        "run_id": "r1",
        "week_start": "2026-11-16",
        "week_end": "2026-11-22",
        "recommended_actions": [
            {
                "text": "14 customers moved into At Risk — start a win-back",
                "kind": "winback",
                "payload": {"segment": "At Risk", "customers": 14},
            },
            {
                "text": "Escalations rose",
                "kind": "support",
                "payload": {"escalation_rate": 0.2, "topics": ["returns"]},
            },
        ],
    }

    winback, support = Digest.model_validate(stored).recommended_actions

    assert isinstance(winback, WinbackAction) and winback.segment == "At Risk"
    assert isinstance(support, SupportAction) and support.topics == ["returns"]
    with pytest.raises(ValidationError):  # a winback without its segment is not an action
        Digest.model_validate(
            stored | {"recommended_actions": [{"text": "Win back", "kind": "winback"}]}
        )
