"""``/controlroom`` through the real Bolt app over HTTP, signed as Slack signs, against a fake
Slack Web API that also serves as the response URL."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from bot.failures import SORRY
from bot.listeners.commands import CommandRequest, parse_command
from controlroom.services import Services
from integrations.warehouse import Warehouse
from tests.proposals import ask_approval, winback_proposal
from tests.slack_sandbox import RunningBot, texts


def test_request_with_a_bad_signature_is_refused_with_401(bot: RunningBot) -> None:
    reply = bot.slack.post(bot.slack.command_body("help"), signature="v0=" + "0" * 64)
    assert reply.status_code == 401
    assert bot.api.calls == []


def test_request_with_a_stale_timestamp_is_refused_with_401(bot: RunningBot) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    reply = bot.slack.post(bot.slack.command_body("help"), timestamp=six_minutes_ago)
    assert reply.status_code == 401


def test_help_lists_the_subcommands_in_the_ack(bot: RunningBot) -> None:
    reply = bot.slack.command("help")
    assert reply.status_code == 200
    shown = texts(reply.json()["blocks"])
    for subcommand in ("ask <question>", "gtm", "winback", "status", "approvals"):
        assert f"/controlroom {subcommand}".replace("<", "&lt;").replace(">", "&gt;") in shown
    assert bot.api.calls_to("response_url") == []


def test_unknown_subcommand_gets_help_saying_what_was_wrong(bot: RunningBot) -> None:
    reply = bot.slack.command("gtn")
    assert reply.status_code == 200
    body = reply.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert "`gtn` is not a subcommand" in texts(body["blocks"])
    assert "/controlroom gtm" in texts(body["blocks"])


def test_bad_arguments_get_help_saying_what_was_wrong(bot: RunningBot) -> None:
    reply = bot.slack.command("winback --as-of yesterday")
    assert "`--as-of` takes a day like 2026-11-22" in texts(reply.json()["blocks"])


def test_a_winback_for_a_segment_the_policy_does_not_target_is_refused_in_the_ack(
    bot: RunningBot,
) -> None:
    reply = bot.slack.command("winback champions")
    shown = texts(reply.json()["blocks"])
    assert "'champions' is not a segment win-backs may target" in shown
    assert "At Risk" in shown  # what may be targeted, from policies/winback.yaml
    reply = bot.slack.command("winback at-risk --days 7")
    assert "at least 60 days since the last order" in texts(reply.json()["blocks"])
    assert bot.api.calls_to("chat.postMessage") == []  # nothing ran


def test_ask_is_acked_at_once_then_answered_in_the_channel(
    bot: RunningBot, sample_warehouse: Warehouse, ingested_kb: Path
) -> None:
    reply = bot.slack.command("ask how do I reset my password?")
    assert reply.status_code == 200
    assert "Working on it" in texts(reply.json()["blocks"])
    # A message in the command's channel (not the response URL), so what follows can thread.
    [answer] = bot.api.wait_for("chat.postMessage")
    assert answer.args["channel"] == "C0GTM"
    shown = texts(answer.args["blocks"])
    assert "*Support*" in shown and "Planned by rules" in shown
    assert "Sources:" in shown and "Confidence" in shown
    # The "Working on it…" note goes once the answer is in the channel.
    [gone] = bot.api.wait_for("response_url")
    assert gone.args["delete_original"] is True


def test_status_lists_the_latest_runs_in_its_ack(bot: RunningBot, services: Services) -> None:
    services.state.start_run("winback", started_by="U0MARKETER", trigger="command")
    reply = bot.slack.command("status")
    assert reply.status_code == 200
    assert reply.json()["text"] == "Latest runs"
    assert "*winback*" in texts(reply.json()["blocks"])
    assert bot.api.calls_to("response_url") == []  # read here: no worker, no second message


def test_approvals_lists_what_waits_in_its_ack(bot: RunningBot, services: Services) -> None:
    run = services.state.start_run("winback", started_by="U0MARKETER", trigger="command")
    ask_approval(services.state, run.run_id, winback_proposal(audience=87))
    reply = bot.slack.command("approvals")
    assert reply.json()["text"] == "Waiting for a decision"
    assert run.run_id[:8] in texts(reply.json()["blocks"])
    assert bot.api.calls_to("response_url") == []


def test_a_failing_workflow_gets_a_plain_message_and_the_log_gets_the_error(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    # No warehouse was seeded: the digest workflow itself fails.
    reply = bot.slack.command("gtm")
    assert reply.status_code == 200
    [sorry] = bot.api.wait_for("response_url")
    assert sorry.args["text"] == SORRY
    assert sorry.args["response_type"] == "ephemeral"
    failures = [r for r in caplog.records if r.name == "bot.failures" and r.exc_info]
    assert failures and failures[0].levelname == "ERROR"
    assert str(failures[0].exc_info[1]) not in sorry.args["text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", CommandRequest("help")),
        ("HELP", CommandRequest("help")),
        ("ask who churned?", CommandRequest("ask", question="who churned?")),
        ("who is about to churn?", CommandRequest("ask", question="who is about to churn?")),
        ("churn?", CommandRequest("ask", question="churn?")),
        (
            "ask revenue &amp; margin in <#C0GTM|gtm> :eyes:",
            CommandRequest("ask", question="revenue & margin in #gtm 👀"),
        ),
        ("winback --as-of 2026-11-22", CommandRequest("winback", as_of=date(2026, 11, 22))),
        ("winback at-risk --days 90", CommandRequest("winback", segment="at-risk", days=90)),
        (
            "winback Can't Lose Them --as-of 2026-11-22",
            CommandRequest("winback", as_of=date(2026, 11, 22), segment="Can't Lose Them"),
        ),
        ("status", CommandRequest("status")),
    ],
)
def test_command_text_is_read_into_a_request(text: str, expected: CommandRequest) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("gtn", "`gtn` is not a subcommand"),
        ("ask", "`ask` needs a question"),
        ("gtm now", "`gtm` takes no arguments (got `now`)"),
        ("winback --days thirty", "`--days` takes a number of days (got `thirty`)"),
        ("winback --days", "`--days` needs a value"),
        ("winback --segment at-risk", "`--segment` is not an option of `winback`"),
    ],
)
def test_command_mistakes_say_what_was_wrong(text: str, problem: str) -> None:
    request = parse_command(text)
    assert request.kind == "help"
    assert request.problem is not None and request.problem.startswith(problem)
