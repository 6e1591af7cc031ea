"""Block Kit builders: pure functions from the workflows' results to Slack message blocks.

Every builder keeps within Slack's limits, so a long answer or a big digest never makes
``chat.postMessage`` fail with ``invalid_blocks``: long text is split over several sections,
labels are cut with "…", and a message never has more than 50 blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from agents import formatting as fmt
from bot import ids
from integrations.statestore import ApprovalRecord, RunRecord
from workflows.ask import Answer
from workflows.digest import Digest, Kpi

Block = dict[str, Any]

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_ELEMENTS = 10
# The message's notification text; Slack truncates at 40,000, notifications show far less.
MAX_FALLBACK_TEXT = 3000

ELLIPSIS = "…"

HELP_LINES = (
    ("help", "this message"),
    ("ask <question>", "ask the specialists in plain words"),
    ("gtm", "run the weekly GTM digest now"),
    ("winback [--as-of YYYY-MM-DD]", "propose a win-back campaign for approval"),
    ("status", "the latest runs"),
    ("approvals", "proposals waiting for a decision"),
)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at line breaks when possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current or not pieces:
        pieces.append(current)
    return [piece.rstrip("\n") or " " for piece in pieces]


def section(text: str) -> list[Block]:
    """One or more mrkdwn sections holding all of ``text`` (3,000 characters each at most)."""
    return [{"type": "section", "text": _mrkdwn(piece)} for piece in split_text(text)]


def header(text: str) -> Block:
    return {"type": "header", "text": _plain(truncate(text, MAX_HEADER_TEXT))}


def context(*texts: str) -> Block:
    """A context line; each element keeps within the section limit."""
    elements = [_mrkdwn(truncate(t, MAX_SECTION_TEXT)) for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS] or [_mrkdwn(" ")]}


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    """A button; the value carries an id, so a value over Slack's limit is a bug, not text."""
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"a button value is at most {MAX_BUTTON_VALUE} characters")
    element: Block = {
        "type": "button",
        "text": _plain(truncate(text, MAX_BUTTON_TEXT)),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, *, yes: str, no: str = "Cancel") -> Block:
    """An "are you sure?" dialog for a button whose click cannot be taken back."""
    return {
        "title": _plain(truncate(title, 100)),
        "text": _mrkdwn(truncate(text, 300)),
        "confirm": _plain(truncate(yes, 30)),
        "deny": _plain(truncate(no, 30)),
    }


def fit(blocks: Sequence[Block]) -> list[Block]:
    """At most 50 blocks: the ones over the limit are replaced by a note saying so."""
    if len(blocks) <= MAX_BLOCKS:
        return list(blocks)
    kept = list(blocks[: MAX_BLOCKS - 1])
    left_out = len(blocks) - len(kept)
    return [*kept, context(f"{ELLIPSIS} {left_out} more blocks left out (Slack's limit).")]


def fallback_text(text: str) -> str:
    """The plain ``text`` sent beside blocks, for notifications and screen readers."""
    return truncate(text, MAX_FALLBACK_TEXT)


# --- help and problems -------------------------------------------------------------------------


def help_blocks(problem: str | None = None) -> list[Block]:
    """What ``/controlroom`` can do; ``problem`` says first what was wrong with the command."""
    blocks: list[Block] = []
    if problem:
        blocks += section(f":warning: {escape(problem)}")
    lines = "\n".join(f"`{ids.COMMAND} {escape(usage)}` — {what}" for usage, what in HELP_LINES)
    blocks += section("*Two Peaks Control Room*\n" + lines)
    blocks.append(context("Anything else is a question: `/controlroom who is about to churn?`"))
    return blocks


def notice_blocks(text: str) -> list[Block]:
    """A short message (working on it, a refusal, something went wrong), already mrkdwn."""
    return section(text)


# --- answers -----------------------------------------------------------------------------------


def answer_blocks(answer: Answer) -> list[Block]:
    """The supervisor's answer, with the support agent's sources and confidence when it spoke."""
    blocks = section(escape(answer.text))
    for report in answer.reports:
        if report.agent != "support":
            continue
        confidence = report.facts.get("confidence")
        sources = [str(s) for s in report.facts.get("sources") or []]
        parts = []
        if isinstance(confidence, int | float):
            parts.append(f"Confidence {fmt.share(float(confidence))}")
        if sources:
            parts.append("Sources: " + ", ".join(_link(url) for url in sources))
        if parts:
            blocks.append(context(" · ".join(parts)))
    who = ", ".join(answer.agents) or "nobody (help)"
    by = "the model" if answer.routed_by == "model" else "rules"
    cost = f"cost {answer.cost.usd_text}" if answer.cost.calls else "offline writer, no cost"
    blocks.append(context(f"Routed to {who} by {by} · run `{answer.run_id[:8]}` · {cost}"))
    return fit(blocks)


# --- the weekly digest -------------------------------------------------------------------------


def digest_blocks(digest: Digest) -> list[Block]:
    """The weekly digest: header, headline figures, each specialist's prose, actions, run."""
    week = ""
    if digest.week_start and digest.week_end:
        week = f" · {fmt.day(digest.week_start)} – {fmt.day(digest.week_end)}"
    blocks: list[Block] = [header(f"Weekly GTM digest{week}")]
    fields = [_mrkdwn(truncate(_kpi(kpi), MAX_FIELD_TEXT)) for kpi in digest.headline]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    for name, prose in digest.prose.items():
        blocks.append({"type": "divider"})
        blocks += section(f"*{name.capitalize()}*\n{escape(prose)}")
    if digest.unavailable:
        missing = ", ".join(u.section.capitalize() for u in digest.unavailable)
        blocks += section(f":warning: Unavailable this week: {missing} (see the run log).")
    if digest.recommended_actions:
        blocks.append({"type": "divider"})
        actions = "\n".join(f"• {escape(a.text)}" for a in digest.recommended_actions)
        blocks += section(f"*Recommended actions*\n{actions}")
    cost = digest.cost
    spent = f"cost ${cost.usd:.4f}" if cost.calls else "offline writer, no cost"
    blocks.append(context(f"Run `{digest.run_id[:8]}` · {spent}"))
    return fit(blocks)


def _kpi(kpi: Kpi) -> str:
    value = _figure(kpi.value, kpi.unit)
    change = f" ({fmt.change(kpi.change_ratio)})" if kpi.change_ratio is not None else ""
    return f"*{escape(kpi.label)}*\n{value}{change}"


def _figure(value: float | None, unit: str) -> str:
    if unit == "money":
        return fmt.money(value)
    if unit == "share":
        return fmt.share(value, digits=1)
    if unit == "times":
        return fmt.times(value)
    return fmt.count(value)


# --- win-back proposals ------------------------------------------------------------------------


def proposal_blocks(run_id: str, proposal: Mapping[str, Any]) -> list[Block]:
    """A win-back proposal with Approve / Reject / Edit buttons carrying the run id."""
    actions: Block = {
        "type": "actions",
        "block_id": "approval_actions",
        "elements": [
            button(
                "Approve",
                ids.APPROVE,
                run_id,
                style="primary",
                confirm=confirm_dialog(
                    "Send the campaign?",
                    f"Approving emails {fmt.count(proposal.get('audience'))} customers now.",
                    yes="Approve and send",
                ),
            ),
            button("Reject", ids.REJECT, run_id, style="danger"),
            button("Edit", ids.EDIT, run_id),
        ],
    }
    return fit([*_proposal_body(run_id, proposal), actions])


def decided_blocks(
    approval: ApprovalRecord, *, result: Mapping[str, Any] | None = None
) -> list[Block]:
    """The proposal after its decision: who decided, when and what came of it; no buttons."""
    verb = {"approved": "Approved", "rejected": "Rejected", "edited": "Edited and approved"}
    when = _when(approval.decided_at)
    line = f"*{verb.get(approval.status, approval.status)}* by {_user(approval.decided_by)} {when}"
    if approval.reason:
        line += f"\nReason: {escape(approval.reason)}"
    if result:
        line += f"\n{_result(result)}"
    return fit([*_proposal_body(approval.run_id, approval.summary), *section(line)])


def decided_text(approval: ApprovalRecord) -> str:
    """The notification text of a decided proposal."""
    return f"Win-back proposal {approval.status} by {approval.decided_by}"


def already_decided_text(approval: ApprovalRecord) -> str:
    """What a late click is told: who decided first, what and when."""
    return (
        f"This proposal was already {approval.status} by {_user(approval.decided_by)} "
        f"{_when(approval.decided_at)}."
    )


def reject_modal(run_id: str, private_metadata: str) -> Block:
    """The modal asking why a proposal is rejected; the run id rides in ``private_metadata``."""
    return {
        "type": "modal",
        "callback_id": ids.REJECT_MODAL,
        "private_metadata": private_metadata,
        "title": _plain("Reject proposal"),
        "submit": _plain("Reject"),
        "close": _plain("Cancel"),
        "blocks": [
            *section(f"Rejecting run `{run_id[:8]}`: nothing will be sent."),
            {
                "type": "input",
                "block_id": ids.REJECT_REASON_BLOCK,
                "label": _plain("Why?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REJECT_REASON_INPUT,
                    "multiline": True,
                    "max_length": 500,
                },
            },
        ],
    }


def reject_reason(view: Mapping[str, Any]) -> str:
    """The reason typed into the rejection modal, stripped (empty when none)."""
    values = view.get("state", {}).get("values", {})
    typed = values.get(ids.REJECT_REASON_BLOCK, {}).get(ids.REJECT_REASON_INPUT, {})
    return str(typed.get("value") or "").strip()


def _proposal_body(run_id: str, proposal: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = [header("Win-back proposal")]
    lines = [
        f"*Audience:* {fmt.count(proposal.get('audience'))} customers",
        f"*Offer:* {fmt.share(proposal.get('discount'))} off",
        f"*Expected profit:* {fmt.money(proposal.get('expected_profit'))}"
        f" · *ROI:* {fmt.times(proposal.get('roi'))}",
    ]
    if proposal.get("recommendation"):
        lines.append(escape(str(proposal["recommendation"])))
    if proposal.get("subject"):
        lines.append(f"*Subject:* {escape(str(proposal['subject']))}")
    blocks += section("\n".join(lines))
    for sample in proposal.get("samples") or []:
        body = truncate(str(sample.get("body", "")), 600)
        blocks += section(f"> *To:* {escape(str(sample.get('recipient', '')))}\n{escape(body)}")
    blocks.append(context(f"Run `{run_id}`"))
    return blocks


def _result(result: Mapping[str, Any]) -> str:
    status = result.get("status")
    if status == "sent":
        sent = fmt.count(result.get("sent"))
        extra = ", ".join(
            f"{fmt.count(result[k])} {k.replace('_', ' ')}"
            for k in ("suppressed", "failed", "in_doubt")
            if result.get(k)
        )
        return f":white_check_mark: {sent} emails sent" + (f" ({extra})" if extra else "")
    if status == "rejected":
        return "Nothing was sent."
    return f"Result: {escape(str(status))}"


# --- runs and approvals lists ------------------------------------------------------------------


def runs_blocks(runs: Iterable[RunRecord]) -> list[Block]:
    """The latest runs, one line each: workflow, status, who, when, cost."""
    lines = [
        f"`{r.run_id[:8]}` *{escape(r.workflow)}* {r.status} · {_user(r.started_by)}"
        f" {_when(r.started_at)} · ${r.cost_usd:.4f}"
        for r in runs
    ]
    if not lines:
        return section("No runs yet.")
    return fit(section("*Latest runs*\n" + "\n".join(lines)))


def approvals_blocks(approvals: Iterable[ApprovalRecord]) -> list[Block]:
    """Proposals waiting for a decision, one line each."""
    lines = [
        f"`{a.run_id[:8]}` *{escape(a.workflow)}* ({escape(a.kind)}) asked {_when(a.requested_at)}"
        for a in approvals
    ]
    if not lines:
        return section("Nothing is waiting for a decision.")
    return fit(section("*Waiting for a decision*\n" + "\n".join(lines)))


# --- small pieces ------------------------------------------------------------------------------


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def _link(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f"<{url}>"
    return escape(url)


def _user(user: str | None) -> str:
    if user and user[:1] in "UW" and user.isalnum() and user.isupper():
        return f"<@{user}>"
    return escape(user or "someone")


def _when(moment: datetime | None) -> str:
    return f"at {moment:%Y-%m-%d %H:%M} UTC" if moment else ""
