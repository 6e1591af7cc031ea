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


def _write_key(folder: Path, name: str, dotted: str, value: object) -> Path:
    """Set one (possibly nested, dotted) key in a policy file and write it back as YAML."""
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = value
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("99 99 * * mon", "the last value (99) is higher than the maximum value"),
        ("0 25 * * *", "the last value (25) is higher than the maximum value (23)"),
        ("0 9 * * funday", 'Invalid weekday name "funday"'),
        ("*/0 * * * *", "Increment must be higher than 0"),
        ("0 9 L * *", 'Unrecognized expression "L" for field "day"'),
    ],
)
def test_a_cron_line_the_scheduler_cannot_parse_is_refused_with_its_reason(
    policy_dir: Path, line: str, reason: str
) -> None:
    path = _write_key(policy_dir, "schedule", "weekly_digest.cron", line)
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    message = str(refused.value)
    assert message.startswith(f"{path}: key 'weekly_digest.cron' = {line!r}: expected")
    assert reason in message
    assert "\n" not in message


def test_a_cron_line_that_never_fires_is_refused(policy_dir: Path) -> None:
    _write_key(policy_dir, "schedule", "kb_rebuild.cron", "0 9 31 2 *")
    with pytest.raises(
        PolicyError, match=r"key 'kb_rebuild.cron' = '0 9 31 2 \*': expected .*never fires"
    ):
        load_policies(policy_dir)


def test_a_numeric_day_of_week_is_refused_because_apscheduler_counts_from_monday(
    policy_dir: Path,
) -> None:
    _write_key(policy_dir, "schedule", "weekly_digest.cron", "0 9 * * 1")
    with pytest.raises(PolicyError, match=r"key 'weekly_digest.cron' = '0 9 \* \* 1'.*mon"):
        load_policies(policy_dir)


def test_valid_cron_lines_with_names_ranges_and_steps_load(policy_dir: Path) -> None:
    _write_key(policy_dir, "schedule", "weekly_digest.cron", "30 8 * * mon-fri")
    _write_key(policy_dir, "schedule", "approval_reminders.cron", "*/15 9-17 * jan,feb sat,sun")
    loaded = load_policies(policy_dir)
    assert loaded.schedule.weekly_digest.cron == "30 8 * * mon-fri"


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("support", "confidence_threshold", float("nan")),
        ("support", "retrieval.rrf_k", float("inf")),
        ("support", "calibration.intercept", float("-inf")),
        ("support", "calibration.similarity", float("inf")),
        ("approvals", "remind_after_hours", float("inf")),
        ("models", "timeout_seconds", float("inf")),
        ("models", "agents.support.usd_per_1k_input_tokens", float("inf")),
        ("winback", "cost_per_email", float("inf")),
        ("winback", "gross_margin_rate", float("nan")),
    ],
)
def test_a_number_that_is_not_finite_is_refused(
    policy_dir: Path, name: str, key: str, value: float
) -> None:
    path = _write_key(policy_dir, name, key, value)
    assert ".nan" in path.read_text() or ".inf" in path.read_text()
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    assert str(refused.value).startswith(f"{path}: key '{key}' = ")
    assert "finite number" in str(refused.value)


def test_a_non_finite_response_rate_key_is_refused(policy_dir: Path) -> None:
    path = policy_dir / "winback.yaml"
    data = yaml.safe_load(path.read_text())
    data["response_rate_by_discount"][float("nan")] = 0.1
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PolicyError, match="finite number"):
        load_policies(policy_dir)


def test_a_key_given_twice_is_refused_with_both_lines(policy_dir: Path) -> None:
    path = policy_dir / "support.yaml"
    path.write_text("confidence_threshold: 0.6\ntop_k: 4\nconfidence_threshold: 0.9\n")
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    message = str(refused.value)
    assert message.startswith(f"{path}: line 3 ")
    assert "key 'confidence_threshold' given twice (first on line 1)" in message


def test_a_nested_key_given_twice_is_refused(policy_dir: Path) -> None:
    path = policy_dir / "support.yaml"
    path.write_text(
        "confidence_threshold: 0.6\ntop_k: 4\nretrieval:\n  fusion: rrf\n  fusion: vector\n"
    )
    with pytest.raises(PolicyError, match=r"line 5 .*key 'fusion' given twice \(first on line 4\)"):
        load_policies(policy_dir)


def test_two_spellings_of_one_discount_are_the_same_key_given_twice(policy_dir: Path) -> None:
    path = policy_dir / "winback.yaml"
    text = path.read_text()
    assert "response_rate_by_discount:\n" in text
    path.write_text(
        text.replace("response_rate_by_discount:\n", "response_rate_by_discount:\n  0.10: 0.5\n")
    )
    with pytest.raises(PolicyError, match=r"key 0\.1 given twice"):
        load_policies(policy_dir)


def test_a_file_that_is_not_utf8_is_refused_with_the_byte_offset(policy_dir: Path) -> None:
    path = policy_dir / "approvals.yaml"
    raw = path.read_bytes()
    path.write_bytes(raw + "# café\n".encode("latin-1"))
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    assert str(refused.value) == (
        f"{path}: not UTF-8 text (byte offset {len(raw) + 5}); save the file as UTF-8"
    )


def test_a_confidence_threshold_of_zero_is_refused_as_every_answer_unreviewed(
    policy_dir: Path,
) -> None:
    path = _write_key(policy_dir, "support", "confidence_threshold", 0.0)
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    message = str(refused.value)
    assert message.startswith(f"{path}: key 'confidence_threshold' = 0.0: expected")
    assert "unreviewed" in message
    assert "allow_unreviewed_answers: true" in message


def test_a_confidence_threshold_of_zero_loads_when_unreviewed_answers_are_allowed(
    policy_dir: Path,
) -> None:
    _write_key(policy_dir, "support", "confidence_threshold", 0.0)
    _write_key(policy_dir, "support", "allow_unreviewed_answers", True)
    loaded = load_policies(policy_dir)
    assert loaded.support.confidence_threshold == 0.0
    assert loaded.support.allow_unreviewed_answers is True


def test_channel_settings_are_found_by_id_then_by_name_and_default_to_the_files_own(
    policy_dir: Path,
) -> None:
    _edit(
        policy_dir,
        "support",
        {
            "channels": {
                "#customer-help": {"respond_to": "all_messages", "confidence_threshold": 0.9},
                "C0123ABCD": {"asker_user_ids": ["U0123ABCD"]},
            },
            "direct_messages": {"asker_usergroup": "S0123ABCD"},
        },
    )
    support = load_policies(policy_dir).support
    help_desk = support.channel("C0HELPDESK", "customer-help")
    assert (help_desk.respond_to, support.threshold_in(help_desk)) == ("all_messages", 0.9)
    assert help_desk.open_to_everyone
    by_id = support.channel("C0123ABCD", "customer-help")  # the ID wins over the name
    assert (by_id.respond_to, by_id.asker_user_ids) == ("mention_only", ["U0123ABCD"])
    assert support.threshold_in(by_id) == support.confidence_threshold
    unlisted = support.channel("C0OTHERCH", "random")
    assert unlisted.respond_to == "mention_only" and unlisted.open_to_everyone
    assert support.threshold_in(support.direct_messages) == support.confidence_threshold
    assert not support.direct_messages.open_to_everyone
    assert support.names_channels


@pytest.mark.parametrize(
    ("setting", "refusal"),
    [
        (
            {"respond_to": "everything"},
            "key 'channels.#customer-help.respond_to' = 'everything': expected input should be "
            "'mention_only' or 'all_messages'",
        ),
        (
            {"confidence_threshold": 1.5},
            "key 'channels.#customer-help.confidence_threshold' = 1.5: expected input should be "
            "less than or equal to 1",
        ),
        (
            {"asker_user_ids": ["bob"]},
            "key 'channels.#customer-help.asker_user_ids' = ['bob']: expected slack user IDs "
            "like 'U0123ABCD', got 'bob'",
        ),
        (
            {"asker_usergroup": "support-team"},
            "key 'channels.#customer-help.asker_usergroup' = 'support-team': expected a Slack "
            "user group ID like 'S0123ABCD'",
        ),
        ({"threshold": 0.9}, "unknown key 'channels.#customer-help.threshold'"),
        (
            {"confidence_threshold": 0},
            "expected a threshold above 0 in 'channels.#customer-help.confidence_threshold': at "
            "0 every answer there is sent unreviewed; if that is meant, also set "
            "'allow_unreviewed_answers: true' in this file",
        ),
    ],
)
def test_a_bad_channel_setting_is_refused_in_one_line_naming_the_channel_and_the_key(
    policy_dir: Path, setting: dict[str, object], refusal: str
) -> None:
    path = _edit(policy_dir, "support", {"channels": {"#customer-help": setting}})
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    assert str(refused.value) == f"{path}: {refusal}"


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("#Customer Help", "a channel name like '#gtm-digest' or a channel ID like 'C0123ABCD'"),
        ("D0123ABCD", "a channel, not a direct message: those are set under 'direct_messages'"),
    ],
)
def test_a_channel_that_is_not_one_is_refused_by_its_name(
    policy_dir: Path, channel: str, expected: str
) -> None:
    path = _edit(policy_dir, "support", {"channels": {channel: {"respond_to": "all_messages"}}})
    with pytest.raises(PolicyError) as refused:
        load_policies(policy_dir)
    assert str(refused.value) == f"{path}: key 'channels.{channel}.[key]' = {channel!r}: " + (
        f"expected {expected}"
    )


def test_a_direct_message_threshold_of_zero_loads_only_when_unreviewed_answers_are_allowed(
    policy_dir: Path,
) -> None:
    _edit(policy_dir, "support", {"direct_messages": {"confidence_threshold": 0}})
    with pytest.raises(PolicyError, match=r"above 0 in 'direct_messages\.confidence_threshold'"):
        load_policies(policy_dir)
    _write_key(policy_dir, "support", "allow_unreviewed_answers", True)
    assert load_policies(policy_dir).support.direct_messages.confidence_threshold == 0
