"""``/controlroom ask`` and its thread through the real Bolt app over signed HTTP, against the
sandbox's Slack: the answer shows the plan it ran, a mention in its thread follows it up
("and the week before?", "by channel?"), "How was this computed?" gives the definition and the
SQL there, a series brings its chart, and a mention in any other thread is a support question.

The team's day is Tuesday 24 Nov 2026 (``tests.integration._ask``): "last week" is 16–22 Nov.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot import ids
from controlroom.services import Services
from integrations.warehouse import Warehouse
from sandbox import Call, Workspace
from sandbox.files import PNG_SIGNATURE
from tests.integration._ask import (
    LAST_WEEK,
    WEEK_BEFORE,
    change,
    dollars,
    on_team_day,
    revenue,
)
from tests.integration.slack_app._support import (
    CONFIDENT,
    asked,
    buttons,
    mention,
    posted,
)
from tests.slack_sandbox import RunningBot, running_bot, shared_files, texts
from workflows.ask import stored_plans

ANALYST = "U0ANALYST"
TWO_WEEKS_BEFORE = (date(2026, 11, 2), date(2026, 11, 8))


@pytest.fixture(autouse=True)
def team_day() -> Iterator[None]:
    with on_team_day():
        yield


@pytest.fixture
def bot(
    services: Services, workspace: Workspace, sample_warehouse: Warehouse, ingested_kb: Path
) -> Iterator[RunningBot]:
    with running_bot(services, workspace) as running:
        yield running


def _mention_in_thread(bot: RunningBot, text: str, thread_ts: str) -> None:
    """A mention of the bot written in the thread of ``thread_ts``."""
    asked(bot, mention(bot, text, user=ANALYST, thread_ts=thread_ts))


def _asked(bot: RunningBot, question: str) -> Call:
    """``/controlroom ask <question>``: the answer message the app posted."""
    reply = bot.slack.command(f"ask {question}", user_id=ANALYST)
    assert reply.status_code == 200
    assert "Working on it" in texts(reply.json()["blocks"])
    [answer] = posted(bot, "C0GTM", None)
    return answer


def test_an_answer_shows_its_plan_and_its_thread_follows_it_up_with_figures_from_sql(
    bot: RunningBot, services: Services, sample_warehouse: Warehouse
) -> None:
    posted_answer = _asked(bot, "revenue last week")
    answer, answer_ts = posted_answer.args, posted_answer.answer["ts"]

    shown = texts(answer["blocks"])
    assert "*Revenue · 16–22 Nov 2026 · vs " in shown
    week = revenue(sample_warehouse, *LAST_WEEK)
    before = revenue(sample_warehouse, *WEEK_BEFORE)
    assert f"• Revenue: {dollars(week)} ({change(week, before)} vs 9–15 Nov 2026:" in shown
    assert dollars(week) in answer["text"]  # the notification says it too
    assert "How was this computed?" in shown and "Planned by rules" in shown
    run_id = buttons(answer["blocks"])[ids.ASK_EXPLAIN]
    assert services.state.get_run(run_id).workflow == "ask"

    _mention_in_thread(bot, "and the week before?", answer_ts)
    [earlier] = posted(bot, "C0GTM", answer_ts)
    shown = texts(earlier.args["blocks"])
    two_weeks_before = revenue(sample_warehouse, *TWO_WEEKS_BEFORE)
    assert "*Revenue · 9–15 Nov 2026 · vs " in shown
    assert f"• Revenue: {dollars(before)} ({change(before, two_weeks_before)} vs 2–8 Nov" in shown
    follow_up = buttons(earlier.args["blocks"])[ids.ASK_EXPLAIN]
    run = services.state.get_run(follow_up)
    assert (run.workflow, run.started_by) == ("ask", ANALYST)

    _mention_in_thread(bot, "by channel?", answer_ts)
    [_, by_channel] = posted(bot, "C0GTM", answer_ts, count=2)
    shown = texts(by_channel.args["blocks"])
    assert "*Revenue · 9–15 Nov 2026 · by channel · vs " in shown
    for channel in ("paid_social", "email", "organic"):
        then = revenue(sample_warehouse, *WEEK_BEFORE, channel=channel)
        earlier_still = revenue(sample_warehouse, *TWO_WEEKS_BEFORE, channel=channel)
        row = f"• {channel.replace('_', ' ')}: {dollars(then)} ({change(then, earlier_still)})"
        assert row in shown
    plans = stored_plans(services.state, buttons(by_channel.args["blocks"])[ids.ASK_EXPLAIN])
    assert plans is not None
    assert [(p.kind, getattr(p, "by", None)) for p in plans.plans] == [("metrics", "channel")]


def test_how_was_this_computed_posts_the_definition_and_the_sql_in_the_thread(
    bot: RunningBot,
) -> None:
    answer = _asked(bot, "revenue last week")
    run_id = buttons(answer.args["blocks"])[ids.ASK_EXPLAIN]
    answer_ts = answer.answer["ts"]

    clicked = bot.slack.click(
        ids.ASK_EXPLAIN, run_id, user_id=ANALYST, message_ts=answer_ts, channel="C0GTM"
    )

    assert clicked.status_code == 200
    [explained] = posted(bot, "C0GTM", answer_ts)
    assert explained.args["text"] == "How this was computed"
    shown = texts(explained.args["blocks"])
    assert (
        "*Revenue*: What customers paid for the orders placed in the period, after discounts."
        in shown
    )
    assert "```WITH buckets AS" in shown and "sum(orders.amount)" in shown
    assert "2026-11-16" in shown and "2026-11-22" in shown


def test_a_weekly_series_answer_brings_its_chart_into_the_thread(bot: RunningBot) -> None:
    answer = _asked(bot, "weekly revenue for the last 8 weeks")

    assert "*Revenue by week:*" in texts(answer.args["blocks"])
    bot.api.wait_for("files.completeUploadExternal")
    (chart,) = shared_files(bot.workspace, "C0GTM", answer.answer["ts"])
    stored = bot.workspace.file(chart["id"])
    assert stored is not None and stored["content"].startswith(PNG_SIGNATURE)
    assert chart["mimetype"] == "image/png"
    assert chart["title"] is not None and "Revenue" in chart["title"]


def test_a_mention_in_a_thread_that_is_not_an_answers_goes_to_support(
    bot: RunningBot, services: Services
) -> None:
    answer_ts = _asked(bot, "revenue last week").answer["ts"]
    # Another message in the channel, its event long dealt with.
    elsewhere = bot.slack.message("lunch?", user_id=ANALYST)["ts"]

    _mention_in_thread(bot, CONFIDENT, elsewhere)

    [reply] = posted(bot, "C0GTM", elsewhere)
    shown = texts(reply.args["blocks"])
    assert "Forgot password?" in shown and "Sources:" in shown
    run_id = buttons(reply.args["blocks"])[ids.SUPPORT_HELPFUL]
    assert services.state.get_run(run_id).workflow == "support"
    assert posted(bot, "C0GTM", answer_ts, count=0) == []  # the answer's thread untouched
