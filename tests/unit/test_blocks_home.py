"""App Home's builders: a valid Home tab within Slack's limits, whatever the control room holds;
and agent health as read from the weekly runs and their audit entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from slack_sdk.models.views import View

from bot import ids
from bot.blocks import home, kit
from integrations.statestore import ApprovalRecord, AuditEntry, RunRecord, RunStatus
from tests.proposals import winback_proposal
from workflows.control_room import AgentHealth, ControlRoom, LastDigest, agent_health
from workflows.digest import Digest, Kpi, Unavailable

STARTED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def run(run_id: str, *, workflow: str = "weekly_gtm", status: RunStatus = "succeeded") -> RunRecord:
    return RunRecord(
        run_id=run_id,
        workflow=workflow,
        status=status,
        started_by="U0MARKETER",
        trigger="command",
        started_at=STARTED,
        finished_at=STARTED + timedelta(seconds=4.25) if status != "running" else None,
        input_tokens=0,
        output_tokens=0,
        cost_usd=0.0,
        error="RuntimeError: secret detail" if status == "failed" else None,
    )


def approval(run_id: str, *, channel: str | None = None, ts: str | None = None) -> ApprovalRecord:
    return ApprovalRecord(
        run_id=run_id,
        workflow="winback",
        kind="campaign",
        status="pending",
        round=1,
        requested_at=STARTED,
        summary=winback_proposal().stored(),
        decided_by=None,
        decided_at=None,
        reason=None,
        edits=None,
        channel_id=channel,
        message_ts=ts,
    )


def digest(run_id: str, **changes: Any) -> Digest:
    revenue = Kpi(
        name="revenue",
        label="Revenue",
        unit="money",
        value=12345.0,
        previous=10000.0,
        change_ratio=0.2345,
    )
    fields: dict[str, Any] = {
        "run_id": run_id,
        "week_start": date(2026, 11, 16),
        "week_end": date(2026, 11, 22),
        "headline": [revenue],
    }
    return Digest(**(fields | changes))


def texts(view: dict[str, Any]) -> str:
    """Every piece of text in the view, as a person would read it."""
    found: list[str] = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("fields", []) + block.get("elements", []):
            text = element.get("text")
            found.append(text["text"] if isinstance(text, dict) else str(text))
    return "\n".join(found)


def assert_valid_home(view: dict[str, Any]) -> None:
    """Slack would publish this as a Home tab (slack_sdk checks every block and the 100)."""
    assert view["type"] == "home"
    View(**view).validate_json()
    assert len(view["blocks"]) <= kit.MAX_VIEW_BLOCKS


def empty_room() -> ControlRoom:
    return ControlRoom(digest=None, health=agent_health([], {}), pending=(), recent=())


def test_an_empty_control_room_is_a_valid_home_with_both_run_buttons() -> None:
    view = home.home_view(empty_room())
    assert_valid_home(view)
    [buttons] = [b for b in view["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in buttons["elements"]] == [ids.RUN_DIGEST, ids.START_WINBACK]
    shown = texts(view)
    assert "No weekly digest yet" in shown
    assert "No weekly run yet" in shown
    assert "Nothing is waiting for a decision." in shown
    assert "No runs yet." in shown


def test_the_last_digest_shows_its_figures_week_run_and_missing_sections() -> None:
    last = LastDigest(
        run=run("a1b2c3d4e5f6"),
        digest=digest(
            "a1b2c3d4e5f6",
            unavailable=[Unavailable(section="support", reason="RuntimeError: secret detail")],
        ),
    )
    room = ControlRoom(digest=last, health=(), pending=(), recent=())
    view = home.home_view(room)
    assert_valid_home(view)
    shown = texts(view)
    assert "*Revenue*\n$12,345 (+23.4%)" in shown
    assert "Week 16 Nov 2026 – 22 Nov 2026" in shown
    assert "run `a1b2c3d4`" in shown
    assert "Unavailable in that digest: Support" in shown
    assert "secret detail" not in shown


def test_pending_approvals_link_to_their_message_or_say_where_they_are() -> None:
    linked = approval("run-linked", channel="C0APPROVALS", ts="1764000000.000001")
    unlinked = approval("run-unlinked", channel="C0APPROVALS", ts="1764000000.000002")
    cli_only = approval("run-cli")
    url = "https://twopeaks.slack.com/archives/C0APPROVALS/p1764000000000001"
    room = ControlRoom(digest=None, health=(), pending=(linked, unlinked, cli_only), recent=())
    view = home.home_view(room, links={"run-linked": url})
    assert_valid_home(view)
    shown = texts(view)
    assert "Pending approvals (3)" in shown
    assert f"<{url}|Open the message to decide>" in shown
    assert "Posted in <#C0APPROVALS>" in shown
    assert "Not posted in Slack: `controlroom approvals list`" in shown
    assert "240 customers · 15% off · expected profit $1,234" in shown


def test_a_link_that_could_break_the_markup_is_shown_as_text() -> None:
    assert home.permalink_text("https://x.slack.com/a|b", "Open") == "Open"
    assert home.permalink_text("javascript:alert(1)", "Open <now>") == "Open &lt;now&gt;"
    assert home.permalink_text("https://x.slack.com/p1", "Open") == "<https://x.slack.com/p1|Open>"


def test_a_crowded_control_room_lists_ten_approvals_counts_the_rest_and_stays_valid() -> None:
    pending = tuple(
        approval(f"run{i:04d}", channel="C0APPROVALS", ts=f"1764000000.{i:06d}") for i in range(150)
    )
    recent = tuple(run(f"{i:02d}recent-run", workflow="ask " * 40) for i in range(10))
    weekly = [run("w1"), run("w2")]
    room = ControlRoom(
        digest=LastDigest(
            run=weekly[0], digest=digest("w1", headline=[_kpi(i) for i in range(25)])
        ),
        health=agent_health(weekly, {}),
        pending=pending,
        recent=recent,
    )
    view = home.home_view(room)
    assert_valid_home(view)
    shown = texts(view)
    assert "Pending approvals (150)" in shown
    assert shown.count("Win-back proposal") == home.HOME_APPROVALS
    assert "… and 140 more" in shown
    assert all(f"`{r.run_id[:8]}`" in shown for r in recent)


def test_an_oversized_view_is_cut_to_a_hundred_blocks_with_a_note() -> None:
    blocks = [kit.context(f"line {i}") for i in range(130)]
    kept = kit.fit(blocks, kit.MAX_VIEW_BLOCKS)
    assert len(kept) == kit.MAX_VIEW_BLOCKS
    assert "31 more blocks left out" in kept[-1]["elements"][0]["text"]
    assert kit.fit(blocks) == [
        *blocks[:49],
        kit.context("… 81 more blocks left out (Slack's limit)."),
    ]


def test_a_failed_run_counts_against_every_agent_and_an_unavailable_section_against_its_own() -> (
    None
):
    newest, older = run("newest"), run("older", status="failed")
    unavailable = AuditEntry(
        entry_id=1,
        at=STARTED,
        run_id="newest",
        actor="controlroom",
        action="section_unavailable",
        detail={"section": "insights", "error": "timed out after 120 s"},
    )
    health = {h.agent: h for h in agent_health([newest, older], {"newest": [unavailable]})}
    assert set(health) == {"marketing", "finance", "insights", "support"}
    assert (health["insights"].status, health["insights"].errors) == ("unavailable", 2)
    assert (health["finance"].status, health["finance"].errors) == ("ok", 1)
    assert health["finance"].runs == 2
    assert health["finance"].seconds == 4.25
    assert health["finance"].last_run == newest


def test_agent_health_shows_each_agent_its_status_and_failures() -> None:
    health = (
        AgentHealth("marketing", "ok", run("r1"), errors=0, runs=3, seconds=4.25),
        AgentHealth("insights", "unavailable", run("r1"), errors=2, runs=3, seconds=4.25),
    )
    view = home.home_view(ControlRoom(digest=None, health=health, pending=(), recent=()))
    assert_valid_home(view)
    shown = texts(view)
    assert "*Marketing*  :large_green_circle: ok" in shown
    assert "*Insights*  :red_circle: unavailable in the last run" in shown
    assert "Failed in 2 of 3 runs" in shown
    assert "The last weekly run took 4.2 s" in shown
    assert "`controlroom runs show &lt;run&gt;`" in shown


def _kpi(i: int) -> Kpi:
    return Kpi(
        name=f"k{i}",
        label=f"Figure {i} " * 30,
        unit="share",
        value=0.5,
        previous=None,
        change_ratio=None,
    )
