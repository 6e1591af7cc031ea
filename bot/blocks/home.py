"""App Home, the control room: Run buttons, the last digest's figures, agent health, pending
approvals with links to their messages, and the recent runs, as one Home tab view.

A Home tab holds up to 100 blocks; the lists are capped well below that (10 approvals, 10 runs)
and ``fit`` keeps the view within the limit whatever comes in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agents import formatting as fmt
from bot import ids
from bot.blocks.digest import kpi_sections
from bot.blocks.kit import (
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_VIEW_BLOCKS,
    Block,
    button,
    context,
    escape,
    fit,
    header,
    mrkdwn,
    section,
    truncate,
    user_mention,
    when,
)
from integrations.statestore import ApprovalRecord, RunRecord
from workflows.control_room import AgentHealth, ControlRoom, LastDigest
from workflows.proposals import AnswerProposal, Proposal, proposal_of

HOME_APPROVALS = 10  # listed one section each; the rest are counted
BUTTONS_BLOCK = "home_run"
NOTE_BLOCK = "home_note"  # what a Run button started, shown under the buttons at once
DIVIDER: Block = {"type": "divider"}

_STATUS_ICON = {
    "ok": ":large_green_circle:",
    "unavailable": ":red_circle:",
    "not run": ":white_circle:",
    "succeeded": ":white_check_mark:",
    "rejected": ":no_entry_sign:",
    "partial": ":warning:",
    "failed": ":x:",
    "running": ":hourglass_flowing_sand:",
    "paused": ":double_vertical_bar:",
}
_TITLES = {"winback": "Win-back proposal", "support": "Support answer to review"}


# The segment of App Home's win-back button, carried as its value (bot.listeners.digest).
AT_RISK = "At Risk"


def home_view(room: ControlRoom, *, links: Mapping[str, str] | None = None) -> Block:
    """The Home tab for ``room``; ``links`` maps a pending approval's run id to its message's
    permalink (approvals without one say where they were posted, or that they were not)."""
    blocks: list[Block] = [
        header("Two Peaks control room"),
        run_buttons(),
        DIVIDER,
        *digest_blocks(room.digest),
        DIVIDER,
        *health_blocks(room.health),
        DIVIDER,
        *approval_blocks(room.pending, links or {}),
        DIVIDER,
        *runs_blocks(room.recent),
    ]
    return {"type": "home", "blocks": fit(blocks, MAX_VIEW_BLOCKS)}


def noted_view(view: Mapping[str, Any], note: str) -> Block:
    """The Home tab as the person sees it, with ``note`` under its Run buttons: shown the moment
    they click, until the refreshed control room replaces it."""
    blocks = [b for b in view.get("blocks") or [] if b.get("block_id") != NOTE_BLOCK]
    at = next((i + 1 for i, b in enumerate(blocks) if b.get("block_id") == BUTTONS_BLOCK), 0)
    blocks.insert(at, {**context(note), "block_id": NOTE_BLOCK})
    return {"type": "home", "blocks": blocks}


def run_buttons() -> Block:
    """ "Run weekly digest now" and "Start win-back for At Risk"."""
    return {
        "type": "actions",
        "block_id": BUTTONS_BLOCK,
        "elements": [
            button("Run weekly digest now", ids.RUN_DIGEST, "home", style="primary"),
            button(f"Start win-back for {AT_RISK}", ids.START_WINBACK, AT_RISK),
        ],
    }


def digest_blocks(last: LastDigest | None) -> list[Block]:
    """The last digest's headline figures as fields, and which run and week they are from."""
    blocks: list[Block] = [header("Last weekly digest")]
    if last is None:
        blocks += section(
            "No weekly digest yet: *Run weekly digest now* runs one and posts it in the "
            "digest channel."
        )
        return blocks
    run, figures = last.run, last.digest
    blocks += kpi_sections(figures.headline)
    if not figures.headline:
        blocks += section("The last digest had no headline figures (see its run).")
    if figures.unavailable:
        missing = ", ".join(u.section.capitalize() for u in figures.unavailable)
        blocks += section(f":warning: Unavailable in that digest: {missing}.")
    week = ""
    if figures.week_start and figures.week_end:
        week = f"Week {fmt.day(figures.week_start)} – {fmt.day(figures.week_end)} · "
    blocks.append(context(f"{week}run `{run.run_id[:8]}` finished {when(run.finished_at)}"))
    return blocks


def health_blocks(health: Sequence[AgentHealth]) -> list[Block]:
    """One field per specialist: its last section, failures over the recent weekly runs."""
    blocks: list[Block] = [header("Agent health")]
    if not health or health[0].last_run is None:
        blocks += section("No weekly run yet: the specialists have not been asked anything.")
        return blocks
    fields = [mrkdwn(truncate(_agent(agent), MAX_FIELD_TEXT)) for agent in health]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    first = health[0]
    took = f"took {first.seconds:.1f} s" if first.seconds is not None else "did not finish"
    blocks.append(
        context(
            f"The last weekly run {took} (the specialists work in parallel); "
            f"failures counted over the last {first.runs} weekly runs. "
            "Details: " + escape("`controlroom runs show <run>`.")
        )
    )
    return blocks


def approval_blocks(pending: Sequence[ApprovalRecord], links: Mapping[str, str]) -> list[Block]:
    """What waits for a decision, newest first, each with a link to its message."""
    blocks: list[Block] = [header(f"Pending approvals ({len(pending)})")]
    if not pending:
        blocks += section("Nothing is waiting for a decision.")
        return blocks
    for approval in pending[:HOME_APPROVALS]:
        blocks += section(_approval(approval, links.get(approval.run_id)))
    left = len(pending) - HOME_APPROVALS
    if left > 0:
        blocks.append(context(f"… and {left} more: `/controlroom approvals` lists them all."))
    return blocks


def runs_blocks(runs: Sequence[RunRecord]) -> list[Block]:
    """The latest runs, one line each: status, workflow, who, when, how long, cost."""
    blocks: list[Block] = [header("Recent runs")]
    if not runs:
        blocks += section("No runs yet.")
        return blocks
    blocks += section("\n".join(_run(run) for run in runs))
    return blocks


def permalink_text(url: str, label: str) -> str:
    """A mrkdwn link with a label; anything but an http(s) URL is shown as plain text."""
    if url.startswith(("http://", "https://")) and not any(c in url for c in "<>|"):
        return f"<{url}|{escape(label)}>"
    return escape(label)


def _agent(agent: AgentHealth) -> str:
    icon = _STATUS_ICON.get(agent.status, "")
    status = {"ok": "ok", "unavailable": "unavailable in the last run"}.get(
        agent.status, "not run yet"
    )
    last = agent.last_run
    lines = [f"*{agent.agent.capitalize()}*  {icon} {status}"]
    if last is not None:
        lines.append(f"Last run `{last.run_id[:8]}` {when(last.finished_at or last.started_at)}")
    lines.append(f"Failed in {agent.errors} of {agent.runs} runs")
    return "\n".join(lines)


def _approval(approval: ApprovalRecord, permalink: str | None) -> str:
    title = _TITLES.get(approval.workflow, approval.workflow.replace("_", " ").capitalize())
    line = f"*{escape(title)}* · run `{approval.run_id[:8]}` · asked {when(approval.requested_at)}"
    what = _summary(proposal_of(approval))
    if what:
        line += f"\n{what}"
    if permalink:
        line += "\n" + permalink_text(permalink, "Open the message to decide")
    elif approval.channel_id:
        line += f"\nPosted in <#{approval.channel_id}>"
    else:
        line += "\nNot posted in Slack: `controlroom approvals list` shows it."
    return line


def _summary(proposal: Proposal) -> str:
    if isinstance(proposal, AnswerProposal):
        return f"> {escape(truncate(proposal.question, 300))}" if proposal.question else ""
    return (
        f"{fmt.count(proposal.audience)} customers · {fmt.share(proposal.discount)} off · "
        f"expected profit {fmt.money(proposal.expected_profit)}"
    )


def _run(run: RunRecord) -> str:
    icon = _STATUS_ICON.get(run.status, "")
    took = ""
    if run.finished_at is not None:
        took = f" · {(run.finished_at - run.started_at).total_seconds():.1f} s"
    line = (
        f"{icon} `{run.run_id[:8]}` *{escape(run.workflow)}* {run.status} · "
        f"{user_mention(run.started_by)} {when(run.started_at)}{took} · ${run.cost_usd:.4f}"
    )
    if run.status in ("partial", "failed") and run.error:
        # The reason may quote an exception, which never reaches a Slack user: say where it is.
        line += f"\n      why: `controlroom runs show {run.run_id[:8]}`"
    return line
