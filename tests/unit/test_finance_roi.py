"""Win-back offer ROI computed by hand for two discount options, the cap and the policy fields.

Two candidates: P(alive) 0.5 and 0.2, expected order values $100 and $200, so the expected alive
audience A = 0.7 and the value at stake V = 0.5·100 + 0.2·200 = $90. Gross margin 50%, baseline
order rate 2%, $0.50 per email (2 emails = $1.00).

    10% off, response 5%:  margin 0.5·0.05·90 = 2.25; discount 0.10·(0.05+0.02)·90 = 0.63
                           profit 2.25 − 0.63 − 1.00 = 0.62; ROI 0.62 / 1.63
    20% off, response 12%: margin 0.5·0.12·90 = 5.40; discount 0.20·(0.12+0.02)·90 = 2.52
                           profit 5.40 − 2.52 − 1.00 = 1.88; ROI 1.88 / 3.52
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import policies
from agents.finance import InvalidRequestError, WinbackCandidates, winback_offer_roi
from policies import PolicyError, WinbackPolicy, load_policies


def _policy(**change: Any) -> WinbackPolicy:
    fields: dict[str, Any] = {
        "segments": ["At Risk"],
        "min_days_since_last_order": 60,
        "p_alive_min": 0.05,
        "p_alive_max": 0.7,
        "frequency_cap_days": 30,
        "audience_cap": 500,
        "discount_options": [0.10, 0.20],
        "max_discount": 0.20,
        "response_rate_by_discount": {0.10: 0.05, 0.20: 0.12},
        "baseline_order_rate": 0.02,
        "gross_margin_rate": 0.5,
        "cost_per_email": 0.5,
    }
    return WinbackPolicy(**(fields | change))


CANDIDATES = WinbackCandidates.of([11, 12], [0.5, 0.2], [100.0, 200.0])


def test_each_option_is_computed_as_by_hand() -> None:
    result = winback_offer_roi(CANDIDATES, _policy())

    assert result.audience.expected_alive == pytest.approx(0.7)
    assert result.audience.value_at_stake == pytest.approx(90.0)
    ten, twenty = result.options
    assert ten.discount == 0.10
    assert ten.expected_reactivations == pytest.approx(0.05 * 0.7)
    assert ten.expected_baseline_redemptions == pytest.approx(0.02 * 0.7)
    assert ten.expected_revenue == pytest.approx(0.9 * 0.05 * 90)
    assert ten.expected_margin == pytest.approx(2.25)
    assert ten.discount_cost == pytest.approx(0.63)
    assert ten.sending_cost == pytest.approx(1.00)
    assert ten.expected_profit == pytest.approx(0.62)
    assert ten.roi == pytest.approx(0.62 / 1.63)
    assert twenty.expected_margin == pytest.approx(5.40)
    assert twenty.discount_cost == pytest.approx(2.52)
    assert twenty.expected_profit == pytest.approx(1.88)
    assert twenty.roi == pytest.approx(1.88 / 3.52)


def test_the_most_profitable_option_within_the_cap_is_recommended() -> None:
    result = winback_offer_roi(CANDIDATES, _policy())

    assert result.recommended_discount == 0.20
    assert result.recommendation.startswith("Offer 20% off: expected profit $1.88")


def test_an_option_above_the_cap_is_shown_but_never_recommended() -> None:
    result = winback_offer_roi(CANDIDATES, _policy(max_discount=0.15))

    assert [option.within_cap for option in result.options] == [True, False]
    assert result.options[1].expected_profit > result.options[0].expected_profit
    assert result.recommended_discount == 0.10
    assert any("above the 15% cap: 20%" in note for note in result.notes)


def test_no_option_is_recommended_when_none_is_profitable() -> None:
    result = winback_offer_roi(CANDIDATES, _policy(cost_per_email=5.0))

    assert all(option.expected_profit < 0 for option in result.options)
    assert result.recommended_discount is None
    assert "expected to be profitable" in result.recommendation
    assert "don't send" in result.recommendation


def test_every_assumption_is_in_the_result() -> None:
    result = winback_offer_roi(CANDIDATES, _policy())

    assumptions = result.assumptions
    assert assumptions.gross_margin_rate == 0.5
    assert assumptions.cost_per_email == 0.5
    assert assumptions.baseline_order_rate == 0.02
    assert assumptions.response_rate_by_discount == {0.10: 0.05, 0.20: 0.12}
    assert assumptions.max_discount == 0.20
    assert result.options[0].response_rate == 0.05
    assert result.options[0].emails_sent == 2


def test_candidates_outside_the_policy_band_or_over_the_cap_are_noted() -> None:
    candidates = WinbackCandidates.of([1, 2, 3], [0.9, 0.01, 0.3], [50.0, 50.0, 50.0])

    result = winback_offer_roi(candidates, _policy(audience_cap=2))

    assert result.audience.outside_p_alive_band == 2
    assert any("2 of 3 candidates have P(alive) outside" in note for note in result.notes)
    assert any("exceeds the policy's cap of 2" in note for note in result.notes)


def test_a_discount_without_a_response_rate_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="no response rate .* 30%"):
        winback_offer_roi(CANDIDATES, _policy(), discounts=[0.10, 0.30])


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (([1, 2], [0.5], [10.0, 20.0]), "one customer_id, p_alive and expected_order_value"),
        (([], [], []), "audience is empty"),
        (([1, 1], [0.5, 0.5], [10.0, 20.0]), "more than once"),
        (([1, 2], [0.5, 1.5], [10.0, 20.0]), "between 0 and 1"),
        (([1, 2], [0.5, 0.5], [10.0, -1.0]), "non-negative"),
    ],
)
def test_bad_candidate_lists_are_refused_with_the_reason(
    columns: tuple[list[int], list[float], list[float]], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        WinbackCandidates.of(*columns)


def test_the_shipped_policy_has_a_response_rate_for_every_discount_option() -> None:
    winback = load_policies(Path(policies.__file__).parent).winback

    assert set(winback.discount_options) <= set(winback.response_rate_by_discount)
    assert 0 < winback.gross_margin_rate < 1


def test_a_policy_missing_a_response_rate_is_refused_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(
        Path(policies.__file__).parent, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    path = folder / "winback.yaml"
    data = yaml.safe_load(path.read_text())
    del data["response_rate_by_discount"][0.25]
    path.write_text(yaml.safe_dump(data))

    with pytest.raises(PolicyError, match="a response rate .* missing: 0.25"):
        load_policies(folder)
