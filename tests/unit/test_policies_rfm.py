"""``rfm.yaml``: the segment map must name every (R, FM) score pair exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import policies
from policies import PolicyError, load_policies

SHIPPED = Path(policies.__file__).parent


def _rewrite(folder: Path, change: dict[str, Any]) -> Path:
    path = folder / "rfm.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(change)
    path.write_text(yaml.safe_dump(data))
    return path


def _segments(folder: Path) -> list[dict[str, Any]]:
    segments: list[dict[str, Any]] = yaml.safe_load((folder / "rfm.yaml").read_text())["segments"]
    return segments


def test_the_shipped_map_has_the_eleven_usual_segments_and_mbg_nbd() -> None:
    rfm = load_policies(SHIPPED).rfm
    assert rfm.segment_names == (
        "Champions",
        "Loyal Customers",
        "Potential Loyalists",
        "New Customers",
        "Promising",
        "Need Attention",
        "About To Sleep",
        "At Risk",
        "Can't Lose Them",
        "Hibernating",
        "Lost",
    )
    assert rfm.segment_of(5, 5) == "Champions"
    assert rfm.segment_of(1, 1) == "Lost"
    assert rfm.churn.model == "mbg_nbd"


def test_the_win_back_segments_exist_in_the_segment_map() -> None:
    loaded = load_policies(SHIPPED)
    assert set(loaded.winback.segments) <= set(loaded.rfm.segment_names)


def test_a_map_with_a_gap_is_refused_in_one_line_naming_the_file_and_key(
    policy_dir: Path,
) -> None:
    segments = [rule for rule in _segments(policy_dir) if rule["name"] != "Need Attention"]
    path = _rewrite(policy_dir, {"segments": segments})
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    assert "'segments'" in message
    assert "R=3, FM=3 matches no rule" in message
    assert "\n" not in message


def test_a_map_with_an_overlap_is_refused_naming_both_rules(policy_dir: Path) -> None:
    segments = _segments(policy_dir)
    segments.append({"name": "Big Spenders", "r": [1, 5], "fm": [5, 5]})
    path = _rewrite(policy_dir, {"segments": segments})
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    assert "R=1, FM=5 matches rules \"Can't Lose Them\", 'Big Spenders'" in message
    assert "\n" not in message


def test_a_score_range_outside_one_to_five_is_refused_with_its_key(policy_dir: Path) -> None:
    segments = _segments(policy_dir)
    segments[0]["r"] = [4, 6]
    path = _rewrite(policy_dir, {"segments": segments})
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    assert str(refused.value).startswith(f"{path}: key 'segments[0].r' = [4, 6]: expected")


def test_a_segment_may_take_several_rules(policy_dir: Path) -> None:
    segments = [rule for rule in _segments(policy_dir) if rule["name"] != "At Risk"]
    segments += [
        {"name": "At Risk", "r": [1, 2], "fm": [3, 3]},
        {"name": "At Risk", "r": [1, 2], "fm": [4, 4]},
    ]
    _rewrite(policy_dir, {"segments": segments})
    rfm = load_policies(policy_dir).rfm
    assert rfm.segment_of(2, 4) == rfm.segment_of(1, 3) == "At Risk"
    assert rfm.segment_names.count("At Risk") == 1


def test_an_unknown_churn_model_is_refused(policy_dir: Path) -> None:
    path = _rewrite(policy_dir, {"churn": {"model": "pareto_nbd", "horizon_days": 90}})
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    message = str(refused.value)
    assert message.startswith(f"{path}: key 'churn.model' = 'pareto_nbd': expected")
    assert "mbg_nbd" in message
