"""Review recipients of a win-back proposal through the real Bolt app over signed HTTP: a paged
modal, people excluded and one email rewritten, the proposal re-priced and approved; nobody
excluded is emailed, everyone else exactly once, and the audit log says who excluded whom."""

from __future__ import annotations

import email
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from bot import ids
from bot.blocks.review_modal import PER_PAGE
from controlroom.services import Services
from integrations.warehouse import Warehouse
from sandbox import Workspace
from tests.integration.slack_app.conftest import Proposal
from tests.slack_sandbox import RunningBot, running_bot, texts

APPROVER = "U0APPROVER"  # policies/approvals.yaml
SOMEONE_ELSE = "U0MARKETER"
VIEW_ID = "V0REJECT"  # the one view id a fake Slack that keeps no views hands out
REWRITTEN = "Hi there,\n\nA personal note from our team: 15 years of trails, and we miss you."


@pytest.fixture
def bot(
    services: Services, workspace: Workspace, sample_warehouse: Warehouse
) -> Iterator[RunningBot]:
    with running_bot(services, workspace) as running:
        yield running


def view_of(call: Any) -> dict:
    """The view an app's ``views.*`` call showed, with the id Slack gave it (the fake's answer,
    when it keeps views; else the one id it hands out)."""
    answered = (getattr(call, "answer", None) or {}).get("view") or {}
    return dict(call.args["view"]) | {"id": answered.get("id", VIEW_ID)}


def trigger_id(bot: RunningBot) -> str:
    """A trigger id for a request, issued by the fake Slack's workspace when it has one."""
    workspace = getattr(bot.slack, "workspace", None)
    return workspace.new_trigger(APPROVER) if workspace else "1764000000.4.trigger"


def open_review(bot: RunningBot, proposal: Proposal, *, user_id: str = APPROVER) -> dict:
    """Click Review recipients on the proposal; the modal the app opened."""
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    assert bot.slack.click(ids.REVIEW, proposal.run_id, user_id=user_id, **where).ok
    [opened] = bot.api.wait_for("views.open")
    return view_of(opened)


def click_in(
    bot: RunningBot, view: dict, block_id: str, action_id: str, chosen: str
) -> requests.Response:
    """A click (or a menu choice) on an element of the open modal ``view``, as Slack sends it:
    a ``block_actions`` payload whose container is the view."""
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    element = next(
        e
        for e in [block.get("accessory"), *block.get("elements", [])]
        if e and e["action_id"] == action_id
    )
    action: dict[str, Any] = {"type": element["type"], "action_id": action_id, "block_id": block_id}
    if element["type"] == "overflow":
        action["selected_option"] = next(o for o in element["options"] if o["value"] == chosen)
    else:
        action |= {"text": element["text"], "value": element["value"]}
    team = bot.workspace.identity.team_id
    payload = {
        "type": "block_actions",
        "user": {"id": APPROVER, "username": "approver", "name": "approver", "team_id": team},
        "api_app_id": "A0CONTROLROOM",
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id(bot),
        "team": {"id": team, "domain": "twopeaks"},
        "view": view | {"hash": "", "state": {"values": {}}},
        "actions": [action | {"action_ts": "1764000000.5"}],
    }
    return bot.slack.post(urlencode({"payload": json.dumps(payload)}))


def next_view(bot: RunningBot, method: str, seen: int) -> tuple[dict, int]:
    """The view of the next ``method`` call (``views.update``, ``views.push``) after ``seen``."""
    calls = bot.api.wait_for(method, count=seen + 1)
    return view_of(calls[seen]), seen + 1


def row_ids(view: dict) -> list[int]:
    return [int(b["block_id"].rsplit("_", 1)[1]) for b in view["blocks"] if _is_row(b)]


def _is_row(block: dict) -> bool:
    return str(block.get("block_id", "")).startswith("review_row_")


def emails_to(var_dir: Path) -> Counter[str]:
    """How many emails the local outbox holds for each address (its ``.eml`` files)."""
    found: Counter[str] = Counter()
    for path in (var_dir / "outbox").glob("*.eml"):
        found[str(email.message_from_bytes(path.read_bytes())["To"])] += 1
    return found


def test_an_approver_excludes_two_rewrites_one_email_and_approves_the_rest(
    bot: RunningBot, proposal: Proposal, services: Services, isolated_environment: Path
) -> None:
    before = services.state.get_approval(proposal.run_id).summary
    recipients = {r["customer_id"]: r["recipient"] for r in before["recipients"]}
    assert len(recipients) == before["audience"] > PER_PAGE

    view = open_review(bot, proposal)
    assert view["callback_id"] == ids.REVIEW_MODAL
    first_page = row_ids(view)
    assert len(first_page) == PER_PAGE
    assert f"Page 1 of {-(-len(recipients) // PER_PAGE)}" in texts(view["blocks"])

    updates = 0
    click_in(bot, view, "review_pages", ids.REVIEW_NEXT, "1")
    view, updates = next_view(bot, "views.update", updates)
    second_page = row_ids(view)
    assert set(second_page).isdisjoint(first_page) and "Page 2 of" in texts(view["blocks"])

    gone = [second_page[0], second_page[3]]
    for customer in gone:
        click_in(bot, view, f"review_row_{customer}", ids.REVIEW_ROW, f"exclude:{customer}")
        view, updates = next_view(bot, "views.update", updates)
    assert "2 to exclude" in texts(view["blocks"])

    kept = second_page[1]
    click_in(bot, view, f"review_row_{kept}", ids.REVIEW_ROW, f"rewrite:{kept}")
    [pushed] = bot.api.wait_for("views.push")
    rewrite = view_of(pushed)
    assert rewrite["callback_id"] == ids.REVIEW_DRAFT_MODAL
    typed = {
        ids.REVIEW_DRAFT_SUBJECT_BLOCK: {
            ids.REVIEW_DRAFT_SUBJECT_INPUT: {"type": "plain_text_input", "value": "Just for you"}
        },
        ids.REVIEW_DRAFT_BODY_BLOCK: {
            ids.REVIEW_DRAFT_BODY_INPUT: {"type": "plain_text_input", "value": REWRITTEN}
        },
    }
    saved = bot.slack.submit_view(rewrite, typed, user_id=APPROVER)
    assert saved.status_code == 200 and not saved.text  # back to the review
    view, updates = next_view(bot, "views.update", updates)
    assert "rewritten" in texts(view["blocks"])

    submitted = bot.slack.submit_view(view, {}, user_id=APPROVER)
    assert submitted.status_code == 200 and not submitted.text  # the modal closes
    [update] = bot.api.wait_for("chat.update")
    shown = texts(update.args["blocks"])
    audience = len(recipients) - 2
    assert f"*Audience:* {audience} customers" in shown and "2 excluded in review" in shown
    assert f"2 excluded (audience {len(recipients)} → {audience})" in shown
    actions = next(b for b in update.args["blocks"] if b["type"] == "actions")
    assert ids.APPROVE in [e["action_id"] for e in actions["elements"]]
    after = services.state.get_approval(proposal.run_id)
    assert (after.status, after.round, after.summary["audience"]) == ("pending", 2, audience)
    assert after.summary["expected_profit"] != before["expected_profit"]  # re-priced
    assert services.state.outbox_emails(run_id=proposal.run_id) == []

    audit = services.state.audit_entries(run_id=proposal.run_id)
    [excluded] = [e for e in audit if e.action == "recipients_excluded"]
    assert excluded.actor == APPROVER and excluded.at is not None
    assert {c["customer_id"] for c in excluded.detail["customers"]} == set(gone)
    assert {c["recipient"] for c in excluded.detail["customers"]} == {recipients[c] for c in gone}

    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.APPROVE, proposal.run_id, user_id=APPROVER, **where)
    updates_seen = bot.api.wait_for("chat.update", count=2)
    while "emails sent" not in texts(updates_seen[-1].args["blocks"]):
        updates_seen = bot.api.wait_for("chat.update", count=len(updates_seen) + 1)

    sent = emails_to(isolated_environment)
    for customer in gone:
        assert sent[recipients[customer]] == 0
    assert {a for a, n in sent.items() if n} == {a for c, a in recipients.items() if c not in gone}
    assert set(sent.values()) == {1}
    rows = services.state.outbox_emails(run_id=proposal.run_id)
    assert len(rows) == audience and {r.customer_id for r in rows}.isdisjoint(gone)
    [mine] = [r for r in rows if r.customer_id == kept]
    assert (mine.subject, mine.body) == ("Just for you", REWRITTEN.strip())


def test_a_non_approver_is_refused_the_review_in_private(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    where = {"message_ts": proposal.ts, "channel": proposal.channel}
    bot.slack.click(ids.REVIEW, proposal.run_id, user_id=SOMEONE_ELSE, **where)
    [_, refusal] = bot.api.wait_for("response_url", count=2)
    assert refusal.args["response_type"] == "ephemeral"
    assert "Only approvers may decide proposals" in refusal.args["text"]
    assert bot.api.calls_to("views.open") == []
    audit = services.state.audit_entries(run_id=proposal.run_id)
    assert any(e.action == "approval_refused" and e.actor == SOMEONE_ELSE for e in audit)


def test_submitting_a_review_with_nothing_chosen_says_so_in_the_modal(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_review(bot, proposal)
    reply = bot.slack.submit_view(view, {}, user_id=APPROVER)
    answer = reply.json()
    assert answer["response_action"] == "update"
    assert "Nothing to re-price yet" in texts(answer["view"]["blocks"])
    assert services.state.get_approval(proposal.run_id).status == "pending"


def test_a_forged_review_excluding_everyone_or_strangers_decides_nothing(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_review(bot, proposal)
    summary = services.state.get_approval(proposal.run_id).summary
    everyone = [r["customer_id"] for r in summary["recipients"]]
    for exclude, said in [(everyone, "to email nobody, reject"), ([999_999_999], "not 999999999")]:
        metadata = json.loads(view["private_metadata"]) | {"exclude": exclude}
        forged = view | {"private_metadata": json.dumps(metadata)}
        answer = bot.slack.submit_view(forged, {}, user_id=APPROVER).json()
        assert answer["response_action"] == "update"
        assert said in texts(answer["view"]["blocks"])
    assert services.state.get_approval(proposal.run_id).status == "pending"
    assert services.state.excluded_recipients(proposal.run_id).customer_ids == frozenset()
    assert bot.api.calls_to("chat.update") == []


def test_a_review_submitted_by_a_non_approver_is_refused_in_the_modal(
    bot: RunningBot, proposal: Proposal, services: Services
) -> None:
    view = open_review(bot, proposal)
    first = row_ids(view)[0]
    metadata = json.loads(view["private_metadata"]) | {"exclude": [first]}
    forged = view | {"private_metadata": json.dumps(metadata)}
    answer = bot.slack.submit_view(forged, {}, user_id=SOMEONE_ELSE).json()
    assert "Only approvers may decide proposals" in texts(answer["view"]["blocks"])
    assert services.state.get_approval(proposal.run_id).status == "pending"
    assert services.state.excluded_recipients(proposal.run_id).customer_ids == frozenset()
