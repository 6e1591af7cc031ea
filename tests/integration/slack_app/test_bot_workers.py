"""The Slack app with its workflows in a worker process, as ``controlroom serve`` runs it: the
real app over signed HTTP, a ``ProcessRunner`` worker with its own services, the sandbox's
Slack. The digest's progress crosses the process boundary and so does App Home's control room,
the desk's refusals come back as themselves, a killed worker costs one plain error and no
more, and a full backlog is refused at once (in the ack where Slack allows)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from bot import ids
from bot.blocks.digest import FAILED
from bot.failures import BUSY, SORRY
from bot.runner import INTERRUPTED, ProcessRunner
from controlroom.services import Services
from integrations.warehouse import Warehouse
from sandbox import Workspace
from tests.integration.slack_app.test_bot_approvals import updates_until_sent
from tests.integration.slack_app.test_bot_digest import (
    DIGEST_CHANNEL,
    assert_digest_posted,
    assert_each_update_shows_more_done,
    digest_ts,
)
from tests.slack_sandbox import RunningBot, running_bot, texts

pytestmark = pytest.mark.slow  # each test starts a worker process (~3 s, more on a busy machine)

APPROVER = "U0APPROVER"  # policies/approvals.yaml
MARKETER = "U0MARKETER"


@dataclass(frozen=True, slots=True)
class BotWithWorkers:
    bot: RunningBot
    runner: ProcessRunner


@contextmanager
def bot_with_workers(
    services: Services, workspace: Workspace, *, backlog: int = 100
) -> Iterator[BotWithWorkers]:
    """``build_app`` served over HTTP with a started ``ProcessRunner`` (one worker building its
    own services from the same settings), its Web API client pointed at the sandbox."""
    runner = ProcessRunner(services.settings, backlog=backlog, warm_knowledge_base=False)
    with runner, running_bot(services, workspace, runner=runner) as bot:
        yield BotWithWorkers(bot, runner)


@pytest.fixture
def app(
    services: Services, workspace: Workspace, sample_warehouse: Warehouse
) -> Iterator[BotWithWorkers]:
    with bot_with_workers(services, workspace) as running:
        yield running


def test_gtm_in_a_worker_shows_progress_then_posts_the_digest_with_its_charts(
    app: BotWithWorkers, services: Services
) -> None:
    bot = app.bot
    reply = bot.slack.command("gtm", user_id=MARKETER)
    assert reply.status_code == 200

    [told] = bot.api.wait_for("response_url")
    assert told.args["text"].startswith(f"Weekly GTM digest posted in <#{DIGEST_CHANNEL}>")
    ts = digest_ts(bot.api)
    progress, run_id = assert_digest_posted(bot.api, bot.workspace, services.state, ts)
    # The sections' progress, relayed from the worker's threads.
    assert_each_update_shows_more_done(progress)
    run = services.state.get_run(run_id)  # written by the worker, read here
    assert (run.workflow, run.status, run.started_by) == ("weekly_gtm", "succeeded", MARKETER)
    assert os.getpid() not in app.runner.pids

    # App Home's control room, read in the worker from the run's checkpoint, comes back whole.
    assert bot.slack.event(bot.slack.home_opened(APPROVER)).status_code == 200
    [publish] = bot.api.wait_for("views.publish")
    shown = texts(publish.args["view"]["blocks"])
    assert run_id[:8] in shown and "No weekly digest yet" not in shown


def test_decisions_in_a_worker_refuse_a_non_approver_and_a_second_click_with_who_decided(
    app: BotWithWorkers, services: Services
) -> None:
    bot = app.bot
    assert bot.slack.command("winback").status_code == 200
    [posted] = bot.api.wait_for("chat.postMessage")
    actions = next(b for b in posted.args["blocks"] if b["type"] == "actions")
    run_id = actions["elements"][0]["value"]
    bot.api.wait_for("response_url")
    where = {"message_ts": posted.answer["ts"], "channel": "C0APPROVALS"}

    bot.slack.click(ids.APPROVE, run_id, user_id=MARKETER, **where)  # NotAnApproverError
    refusal = bot.api.wait_for("response_url", count=2)[1]
    assert "Only approvers may decide" in refusal.args["text"]
    assert refusal.args["response_type"] == "ephemeral"

    bot.slack.click(ids.APPROVE, run_id, user_id=APPROVER, **where)
    updates = updates_until_sent(bot)
    assert f"*Approved* by <@{APPROVER}> at" in texts(updates[-1].args["blocks"])

    bot.slack.click(ids.APPROVE, run_id, user_id=APPROVER, **where)  # AlreadyDecidedError
    late = bot.api.wait_for("response_url", count=3)[2]
    assert f"already approved by <@{APPROVER}> at" in late.args["text"]
    assert len(bot.api.calls_to("chat.update")) == len(updates)  # none for the late click
    sent = services.state.outbox_emails(run_id=run_id)
    assert sent and len(sent) == len({email.customer_id for email in sent})  # each once


def test_a_worker_killed_mid_digest_gets_the_plain_error_and_the_next_request_works(
    app: BotWithWorkers, services: Services
) -> None:
    bot = app.bot
    [killed] = app.runner.pids
    bot.slack.command("gtm", user_id=MARKETER)
    _wait_for_a_run(services)  # the worker has started the digest
    os.kill(killed, signal.SIGKILL)

    [sorry] = bot.api.wait_for("response_url")
    assert sorry.args["text"] == SORRY
    assert sorry.args["response_type"] == "ephemeral"
    [failed] = bot.api.calls_to("chat.update")[-1:]
    assert failed.args["text"] == FAILED

    reply = bot.slack.command("winback", user_id=MARKETER)  # a new worker takes it
    assert reply.status_code == 200
    told = bot.api.wait_for("response_url", count=2, timeout=180)[1]
    assert told.args["text"].startswith(("Win-back proposal posted", "Nobody qualifies"))
    assert app.runner.pids and killed not in app.runner.pids
    # The run the dead worker left "running" is marked failed, saying why.
    [run] = services.state.recent_runs(workflow="weekly_gtm")
    deadline = time.monotonic() + 30
    while run.status == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
        run = services.state.get_run(run.run_id)
    assert (run.status, run.error) == ("failed", INTERRUPTED)


def test_a_command_beyond_the_backlog_is_told_in_its_ack_to_try_again(
    services: Services, workspace: Workspace, sample_warehouse: Warehouse
) -> None:
    with bot_with_workers(services, workspace, backlog=1) as app:
        bot = app.bot
        bot.slack.command("gtm", user_id=MARKETER)  # holds the one place for seconds
        _wait_for_a_run(services)

        reply = bot.slack.command("winback", user_id=MARKETER)
        assert reply.status_code == 200
        assert reply.json()["text"] == BUSY
        # Reading the run history needs no worker: answered at once, busy or not.
        reply = bot.slack.command("status", user_id=MARKETER)
        assert reply.json()["text"] == "Latest runs"
        # A button's ack carries no text: it is acked, then told through its response URL.
        where = {"message_ts": digest_ts(bot.api), "channel": DIGEST_CHANNEL}
        reply = bot.slack.click(ids.START_WINBACK, "At Risk", user_id=MARKETER, **where)
        assert reply.status_code == 200
        [busy] = bot.api.wait_for("response_url")
        assert busy.args["text"] == BUSY and busy.args["response_type"] == "ephemeral"

        told = bot.api.wait_for("response_url", count=2, timeout=180)[1]
        assert told.args["text"].startswith("Weekly GTM digest posted")
        reply = bot.slack.command("winback", user_id=MARKETER)  # a worker is free again
        assert "Working" in reply.text and BUSY not in reply.text


def _wait_for_a_run(services: Services, timeout: float = 120.0) -> None:
    """Until the worker has recorded a run in the state store."""
    deadline = time.monotonic() + timeout
    while not services.state.recent_runs(limit=1):
        assert time.monotonic() < deadline, f"no run started within {timeout:g} s"
        time.sleep(0.05)
