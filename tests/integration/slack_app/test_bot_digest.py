"""The weekly digest in Slack: one message in the digest channel showing the sections' progress,
updated in place into the digest, its charts uploaded as PNGs into its thread, and a button that
starts the win-back it recommends; the same from the clock. Through the real Bolt app over
signed HTTP, against the sandbox's Slack (files_upload_v2's three steps included)."""

from __future__ import annotations

import json
import logging
from typing import Any

import duckdb
import pytest

from bot import ids
from bot.blocks.digest import FAILED
from bot.failures import SORRY
from bot.scheduler import SCHEDULER_USER, weekly_digest_job
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from sandbox import Call, CallLog, Workspace
from sandbox.files import PNG_SIGNATURE
from tests.slack_sandbox import RunningBot, served_sandbox, shared_files, texts

DIGEST_CHANNEL = "C0DIGEST"  # "#gtm-digest" (policies/approvals.yaml) as the sandbox names it
MARKETER = "U0MARKETER"
# The sample company's digest draws two charts: finance's weekly revenue, insights' cohorts.
CHARTS = {"Weekly revenue", "Cohort retention"}


def digest_ts(api: CallLog) -> str:
    """The ts of the app's first message: the digest's progress message."""
    first = api.wait_for("chat.postMessage")[0]
    assert first.answer["ok"], first.answer
    return str(first.answer["ts"])


def digest_updates(api: CallLog, ts: str) -> tuple[list[Call], Call]:
    """The progress updates of the message ``ts``, and the last update (the digest)."""
    updates = [call for call in api.calls_to("chat.update") if call.args["ts"] == ts]
    assert updates and all(call.args["channel"] == DIGEST_CHANNEL for call in updates)
    progress = [call for call in updates[:-1] if call.args["text"].startswith("Weekly GTM digest:")]
    return progress, updates[-1]


def blocks_of(call: Call) -> list[dict[str, Any]]:
    blocks = call.args["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def assert_is_the_digest(final: Call, run_id: str) -> None:
    blocks = blocks_of(final)
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"].startswith("Weekly GTM digest · ")
    fields = next(block["fields"] for block in blocks if "fields" in block)
    assert "*Revenue*" in fields[0]["text"]
    run_context = next(block for block in blocks if block["type"] == "context")
    assert f"Run `{run_id[:8]}`" in run_context["elements"][0]["text"]


def assert_charts_in_thread(api: CallLog, workspace: Workspace, ts: str) -> None:
    """Every chart went up through files_upload_v2 into the digest's thread, as a PNG."""
    [completed] = api.calls_to("files.completeUploadExternal")
    assert (completed.args["channel_id"], completed.args["thread_ts"]) == (DIGEST_CHANNEL, ts)
    uploads = shared_files(workspace, DIGEST_CHANNEL, ts)
    assert {upload["title"] for upload in uploads} == CHARTS
    for upload in uploads:
        stored = workspace.file(upload["id"])
        assert stored is not None and stored["content"].startswith(PNG_SIGNATURE)
        assert len(stored["content"]) == stored["length"] > 10_000


def assert_digest_posted(
    api: CallLog, workspace: Workspace, state: StateStore, ts: str
) -> tuple[list[Call], str]:
    """The message ``ts`` became the digest, its charts in its thread: its progress updates and
    the digest's run id."""
    progress, final = digest_updates(api, ts)
    run_id = run_id_of(final, state)
    assert_is_the_digest(final, run_id)
    assert_charts_in_thread(api, workspace, ts)
    return progress, run_id


def assert_each_update_shows_more_done(progress: list[Call]) -> None:
    """Updated as sections finished, only when something changed."""
    assert 1 <= len(progress) <= 4
    done = [call.args["text"].count("✓") for call in progress]
    assert done == sorted(set(done)) and done[0] >= 1


def run_id_of(final: Call, state: StateStore) -> str:
    """The digest's run: the newest weekly run, whose id the digest's context shows; the
    digest carries the Start win-back button for the segment it recommends."""
    [run] = state.recent_runs(limit=1, workflow="weekly_gtm")
    actions = next(block for block in blocks_of(final) if block["type"] == "actions")
    [start] = actions["elements"]
    assert start["action_id"] == ids.START_WINBACK
    assert start["text"]["text"] == "Start win-back for At Risk"
    return run.run_id


def test_gtm_shows_progress_then_the_digest_in_the_digest_channel_with_charts_in_its_thread(
    bot: RunningBot, services: Services, sample_warehouse: Warehouse
) -> None:
    reply = bot.slack.command("gtm", user_id=MARKETER)
    assert reply.status_code == 200
    assert "Working on it" in texts(reply.json()["blocks"])

    [told] = bot.api.wait_for("response_url")
    assert told.args["text"].startswith(f"Weekly GTM digest posted in <#{DIGEST_CHANNEL}>")
    assert told.args.get("response_type", "ephemeral") == "ephemeral"
    assert told.args["replace_original"] is True  # in place of the "Working on it…" note
    [posted] = bot.api.calls_to("chat.postMessage")
    assert posted.args["channel"] == "#gtm-digest"
    assert posted.args["text"] == ("Weekly GTM digest: Marketing … Finance … Insights … Support …")
    ts = digest_ts(bot.api)
    progress, run_id = assert_digest_posted(bot.api, bot.workspace, services.state, ts)
    assert_each_update_shows_more_done(progress)
    run = services.state.get_run(run_id)
    assert (run.workflow, run.trigger, run.started_by) == ("weekly_gtm", "command", MARKETER)


def test_start_winback_on_the_digest_posts_a_proposal_in_the_approvals_channel(
    bot: RunningBot, services: Services, sample_warehouse: Warehouse
) -> None:
    bot.slack.command("gtm", user_id=MARKETER)
    bot.api.wait_for("response_url")
    ts = digest_ts(bot.api)
    _, final = digest_updates(bot.api, ts)
    digest_run = run_id_of(final, services.state)
    [start] = [e for b in blocks_of(final) if b["type"] == "actions" for e in b["elements"]]
    assert (start["action_id"], start["value"]) == (ids.START_WINBACK, "At Risk")

    reply = bot.slack.click(
        ids.START_WINBACK,
        start["value"],
        user_id=MARKETER,
        message_ts=ts,
        channel=DIGEST_CHANNEL,
    )

    assert reply.status_code == 200
    _, proposal = bot.api.wait_for("chat.postMessage", count=2)
    assert proposal.args["channel"] == "#gtm-approvals"
    actions = next(b for b in blocks_of(proposal) if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        ids.APPROVE,
        ids.REJECT,
        ids.EDIT,
        ids.REVIEW,
    ]
    assert actions["elements"][0]["value"] != digest_run  # a new run: the win-back's own
    assert "customers (At Risk)" in texts(blocks_of(proposal))  # for the segment on the button
    _, told = bot.api.wait_for("response_url", count=2)
    assert told.args["text"] == "Win-back proposal posted in #gtm-approvals for approval."
    assert (told.args["response_type"], told.args["replace_original"]) == ("ephemeral", False)


def test_a_section_that_fails_shows_as_unavailable_in_the_posted_digest(
    bot: RunningBot, sample_warehouse: Warehouse
) -> None:
    with duckdb.connect(str(sample_warehouse.path)) as connection:
        connection.execute("DROP TABLE support_tickets")  # support's one source

    bot.slack.command("gtm", user_id=MARKETER)

    [told] = bot.api.wait_for("response_url")
    assert "Weekly GTM digest posted" in told.args["text"]
    ts = digest_ts(bot.api)
    progress, final = digest_updates(bot.api, ts)
    assert any("Support ✗ unavailable" in call.args["text"] for call in progress)
    shown = texts(blocks_of(final))
    assert ":warning: Unavailable this week: Support ✗ (see the run log)." in shown
    assert "*Finance*" in shown and "*Support*" not in shown
    assert "support_tickets" not in shown  # the error stays in the run log
    assert_charts_in_thread(bot.api, bot.workspace, ts)


def test_gtm_when_the_app_is_not_in_the_digest_channel_says_how_to_fix_it_and_runs_nothing(
    bot: RunningBot, services: Services, sample_warehouse: Warehouse
) -> None:
    for method in ("chat.postMessage", "chat.update"):  # the app was never invited there
        bot.api.fail(method, "not_in_channel", channel=DIGEST_CHANNEL)

    bot.slack.command("gtm", user_id=MARKETER)

    [told] = bot.api.wait_for("response_url")
    assert told.args["text"] == (
        "I cannot post in #gtm-digest (Slack says `not_in_channel`): invite the app to that "
        "channel, or name another under `channels.digest` in policies/approvals.yaml."
    )
    assert told.args.get("response_type", "ephemeral") == "ephemeral"
    assert services.state.recent_runs(limit=5) == []


def test_a_digest_run_that_fails_turns_its_progress_message_into_a_plain_notice(
    bot: RunningBot,
) -> None:
    # No warehouse was seeded: the run itself fails before any section.
    bot.slack.command("gtm", user_id=MARKETER)

    [sorry] = bot.api.wait_for("response_url")
    assert sorry.args["text"] == SORRY
    assert len(bot.api.calls_to("chat.postMessage")) == 1
    [failed] = bot.api.calls_to("chat.update")
    assert (failed.args["channel"], failed.args["ts"]) == (DIGEST_CHANNEL, digest_ts(bot.api))
    assert failed.args["text"] == FAILED
    assert "seed" not in json.dumps(failed.args)  # no exception text reaches Slack
    assert bot.api.calls_to("files.getUploadURLExternal") == []


def test_run_weekly_digest_now_on_app_home_publishes_and_tells_the_person_in_a_direct_message(
    bot: RunningBot, services: Services, sample_warehouse: Warehouse
) -> None:
    # A Home tab button: the container is a view and there is no response_url.
    assert bot.slack.event(bot.slack.home_opened(MARKETER)).status_code == 200
    bot.api.wait_for("views.publish")
    home = bot.workspace.home_view(MARKETER)
    assert home is not None
    reply = bot.slack.click_in_view(ids.RUN_DIGEST, user_id=MARKETER, view_id=home["id"])
    assert reply.status_code == 200

    posted, direct = bot.api.wait_for("chat.postMessage", count=2)
    assert posted.args["channel"] == "#gtm-digest"
    assert direct.args["channel"] == MARKETER
    assert direct.args["text"].startswith(f"Weekly GTM digest posted in <#{DIGEST_CHANNEL}>")
    _, final = digest_updates(bot.api, digest_ts(bot.api))
    assert_is_the_digest(final, run_id_of(final, services.state))
    assert bot.api.calls_to("response_url") == []
    # At the click, App Home says what started and who started it; then the control room is
    # published again, the note gone and the new run listed.
    [noted] = bot.api.calls_to("views.update")
    assert noted.args["view_id"] == home["id"]
    note = next(b for b in noted.args["view"]["blocks"] if b.get("block_id") == "home_note")
    assert f"Running the weekly digest… started by <@{MARKETER}>" in str(note)
    [_, published] = bot.api.wait_for("views.publish", count=2)  # once opened, once after
    assert published.args["user_id"] == MARKETER
    shown = str(published.args["view"]["blocks"])
    assert "home_note" not in shown and "weekly_gtm" in shown


@pytest.mark.slow
def test_the_scheduled_job_posts_the_digest_in_the_digest_channel(
    services: Services,
    workspace: Workspace,
    sample_warehouse: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with served_sandbox(workspace) as (api, web_api):
        monkeypatch.setenv("SLACK_API_URL", f"{web_api.base_url}/api/")
        weekly_digest_job(Settings())

    [posted] = api.calls_to("chat.postMessage")
    assert posted.args["channel"] == "#gtm-digest"
    _, run_id = assert_digest_posted(api, workspace, services.state, posted.answer["ts"])
    run = services.state.get_run(run_id)
    assert (run.trigger, run.started_by, run.status) == ("schedule", SCHEDULER_USER, "succeeded")


@pytest.mark.slow
def test_without_a_bot_token_the_scheduled_digest_runs_and_says_once_it_was_not_posted(
    services: Services,
    workspace: Workspace,
    sample_warehouse: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    with (
        served_sandbox(workspace) as (api, web_api),
        caplog.at_level(logging.WARNING, logger="bot.scheduler"),
    ):
        monkeypatch.setenv("SLACK_API_URL", f"{web_api.base_url}/api/")
        weekly_digest_job(Settings())

    assert api.calls == []
    warnings = [r for r in caplog.records if r.name == "bot.scheduler"]
    assert len(warnings) == 1
    assert "not posted in Slack: SLACK_BOT_TOKEN is not set" in warnings[0].getMessage()
    [run] = services.state.recent_runs(limit=5)
    assert (run.trigger, run.status) == ("schedule", "succeeded")
