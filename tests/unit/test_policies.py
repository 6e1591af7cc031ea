"""The policy loader refuses a bad file in one line: the file, the key, what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import policies
from policies import PolicyError, load_policies

SHIPPED = Path(policies.__file__).parent


def _edit(folder: Path, name: str, change: dict[str, object]) -> Path:
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(change)
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_shipped_policies_load() -> None:
    loaded = load_policies(SHIPPED)
    assert loaded.schedule.timezone == "America/Denver"
    assert loaded.winback.max_discount <= max(loaded.winback.discount_options)


def test_a_wrong_type_is_refused_with_file_key_value_and_expectation(policy_dir: Path) -> None:
    path = _edit(policy_dir, "support", {"confidence_threshold": "high"})
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    message = str(refused.value)
    assert message.startswith(f"{path}: key 'confidence_threshold' = 'high': expected")
    assert "number" in message
    assert "\n" not in message


def test_an_unknown_key_is_refused_with_its_name(policy_dir: Path) -> None:
    path = _edit(policy_dir, "winback", {"audience_cpa": 10})
    with pytest.raises(PolicyError, match="unknown key 'audience_cpa'") as refused:
        load_policies(policy_dir)
    assert str(refused.value).startswith(str(path))


def test_a_nested_bad_value_names_the_dotted_key(policy_dir: Path) -> None:
    _edit(
        policy_dir,
        "approvals",
        {"channels": {"digest": "gtm digest", "approvals": "#a", "support_escalations": "#b"}},
    )
    with pytest.raises(
        PolicyError, match=r"key 'channels\.digest' = 'gtm digest': expected a channel"
    ):
        load_policies(policy_dir)


def test_a_bad_list_item_names_its_position(policy_dir: Path) -> None:
    _edit(policy_dir, "winback", {"discount_options": [0.1, 15]})
    with pytest.raises(
        PolicyError, match=r"key 'discount_options\[1\]' = 15: expected input should be less than 1"
    ):
        load_policies(policy_dir)


def test_an_unknown_time_zone_is_refused(policy_dir: Path) -> None:
    _edit(policy_dir, "schedule", {"timezone": "Mountain Time"})
    with pytest.raises(PolicyError, match="key 'timezone' = 'Mountain Time': expected an IANA"):
        load_policies(policy_dir)


def test_inconsistent_values_are_refused_with_what_to_fix(policy_dir: Path) -> None:
    _edit(policy_dir, "winback", {"p_alive_min": 0.9, "p_alive_max": 0.2})
    with pytest.raises(PolicyError, match="winback.yaml: expected p_alive_min must not exceed"):
        load_policies(policy_dir)


def test_a_missing_key_is_named(policy_dir: Path) -> None:
    path = policy_dir / "support.yaml"
    path.write_text("top_k: 4\n")
    with pytest.raises(PolicyError, match="support.yaml: missing key 'confidence_threshold'"):
        load_policies(policy_dir)


def test_a_missing_file_is_named(policy_dir: Path) -> None:
    (policy_dir / "models.yaml").unlink()
    with pytest.raises(PolicyError, match="models.yaml: missing policy file"):
        load_policies(policy_dir)


def test_a_misspelt_file_is_refused_rather_than_ignored(policy_dir: Path) -> None:
    (policy_dir / "winbak.yaml").write_text("segments: []\n")
    with pytest.raises(PolicyError, match="winbak.yaml: unknown policy file"):
        load_policies(policy_dir)


def test_broken_yaml_names_the_line(policy_dir: Path) -> None:
    (policy_dir / "support.yaml").write_text("confidence_threshold: 0.6\ntop_k: [4\n")
    with pytest.raises(PolicyError, match=r"support.yaml: line \d+ not valid YAML"):
        load_policies(policy_dir)
