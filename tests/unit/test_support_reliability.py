"""The reliability table and ECE of the support confidence, against figures worked by hand."""

from __future__ import annotations

import pytest

from agents.support.reliability import reliability


def test_bins_hold_their_questions_and_the_ece_is_the_weighted_gap() -> None:
    # Bin 0.0-0.5: 0.1 and 0.3 (mean 0.2), one right (0.5). Bin 0.5-1.0: 0.6, 0.9 and 1.0
    # (mean 0.8333), all right (1.0). ECE = (2 * 0.3 + 3 * 0.1667) / 5 = 0.22.
    found = reliability([0.1, 0.3, 0.6, 0.9, 1.0], [False, True, True, True, True], bins=2)
    assert [(b.low, b.high, b.questions) for b in found.bins] == [(0.0, 0.5, 2), (0.5, 1.0, 3)]
    assert found.bins[0].mean_confidence == pytest.approx(0.2)
    assert found.bins[0].right == pytest.approx(0.5)
    assert found.bins[1].mean_confidence == pytest.approx(2.5 / 3)
    assert found.bins[1].right == pytest.approx(1.0)
    assert found.expected_calibration_error == pytest.approx(0.22)


def test_a_calibrated_confidence_has_no_gap_and_empty_bins_are_left_out() -> None:
    found = reliability([0.5, 0.5, 0.5, 0.5], [True, False, True, False], bins=5)
    assert [b.questions for b in found.bins] == [4]
    assert found.expected_calibration_error == pytest.approx(0.0)


def test_one_flag_is_needed_per_confidence() -> None:
    with pytest.raises(ValueError, match="one 'right' flag"):
        reliability([0.5, 0.6], [True])
