"""A win-back in the browser: proposed with ``/controlroom winback``, refused to someone who is
not an approver, approved by the approver, and its emails written to the outbox exactly once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import APPROVER, MEMBER, RunningControlRoom, Steps
from tests.e2e.sandbox_page import SandboxPage

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_winback_is_refused_to_a_member_then_approved_and_its_emails_written_once(
    control_room: RunningControlRoom, browser_page, steps: Steps
) -> None:
    sandbox = SandboxPage(browser_page, control_room.url)
    outbox = control_room.var_dir / "outbox"
    sandbox.open(user=MEMBER, channel="general")
    steps.shoot(browser_page, "general-as-member")

    sandbox.send("/controlroom winback")
    # The "Working on it…" note, replaced by where the proposal went.
    sandbox.message("Win-back proposal posted in")
    expect(browser_page.get_by_text("Working on it")).to_have_count(0)
    sandbox.go_to("gtm-approvals")
    proposal = sandbox.message_with_button("Approve")
    expect(proposal).to_contain_text("Win-back")
    steps.shoot(browser_page, "proposal-in-approvals-channel")

    sandbox.click(proposal, "Approve")
    dialog = sandbox.confirm()
    expect(dialog).to_contain_text("Send the campaign?")
    steps.shoot(browser_page, "confirm-dialog")
    dialog.locator("[data-role=confirm]").click()
    refusal = sandbox.message("Only approvers may decide", timeout=30_000)
    expect(refusal).to_contain_text("Only visible to you")
    steps.shoot(browser_page, "member-refused")
    assert not list(outbox.glob("*.eml")), "a refused click sent email"
    assert [a.status for a in control_room.services.state.approvals()] == ["pending"]

    sandbox.switch_user(APPROVER)
    expect(browser_page.get_by_text("Only approvers may decide")).to_have_count(0)
    proposal = sandbox.message_with_button("Reject")
    sandbox.click(proposal, "Reject")
    sandbox.confirm().locator("[data-role=confirm]").click()
    modal = sandbox.modal()
    modal.locator("textarea, input").first.fill("   ")
    modal.locator("[data-role=submit]").click()
    expect(modal.locator(".bk-error")).to_have_text("Say why.")  # the app's own answer
    steps.shoot(browser_page, "rejection-without-a-reason-refused-by-the-app")
    modal.locator("[data-role=close]").click()
    expect(browser_page.get_by_role("dialog")).to_have_count(0)
    proposal = sandbox.message_with_button("Approve")
    sandbox.click(proposal, "Approve")
    sandbox.confirm().locator("[data-role=confirm]").click()
    # "Approved … Sending… n of N" first (the buttons gone at the claim), then the counts.
    decided = sandbox.message("emails sent")
    expect(decided).to_contain_text("Approved")
    expect(decided).to_contain_text("Avery Approver")
    # Slack's date token, read in the reader's own time zone as Slack shows it ("at Today 9:05
    # AM"), never the raw token nor UTC.
    expect(decided).to_contain_text("at Today ")
    expect(decided).not_to_contain_text("<!date")
    expect(decided).not_to_contain_text("UTC")
    expect(decided.get_by_role("button", name="Approve")).to_have_count(0)
    steps.shoot(browser_page, "approved-by-approver")

    (approval,) = control_room.services.state.approvals()
    assert (approval.status, approval.decided_by) == ("approved", APPROVER)
    sent = control_room.services.state.outbox_emails(run_id=approval.run_id, status="sent")
    files = sorted(outbox.glob("*.eml"))
    assert len(sent) == approval.summary["audience"] > 0
    assert len(files) == len(sent)
    assert len({email.customer_id for email in sent}) == len(sent)


def test_a_winback_edited_in_its_modal_is_asked_again_and_sends_to_the_capped_audience(
    control_room: RunningControlRoom, browser_page, steps: Steps
) -> None:
    sandbox = SandboxPage(browser_page, control_room.url)
    sandbox.open(user=APPROVER, channel="gtm-approvals")
    sandbox.send("/controlroom winback")
    proposal = sandbox.message_with_button("Edit")
    sandbox.click(proposal, "Edit")
    modal = sandbox.modal()
    cap = modal.locator("[data-block-id=edit_audience_cap] input")
    expect(cap).to_have_value(str(control_room.services.policies.winback.audience_cap))

    cap.fill("0")
    modal.locator("[data-role=submit]").click()
    expect(modal.locator("[data-block-id=edit_audience_cap] .bk-error")).to_contain_text(
        "at least 1"
    )
    steps.shoot(browser_page, "cap-below-one-refused-in-the-modal")
    discount = modal.locator("[data-block-id=edit_discount] select")
    discount.select_option(index=1)
    chosen = discount.evaluate("(select) => select.selectedOptions[0].textContent")
    cap = modal.locator("[data-block-id=edit_audience_cap] input")
    cap.fill("25")
    steps.shoot(browser_page, "edit-modal-filled")
    modal.locator("[data-role=submit]").click()
    expect(browser_page.get_by_role("dialog")).to_have_count(0, timeout=60_000)

    asked_again = browser_page.locator("#messages .message", has_text="Audience: 25 customers")
    expect(asked_again.get_by_role("button", name="Approve")).to_be_visible(timeout=60_000)
    sandbox.click(asked_again, "Approve")
    dialog = sandbox.confirm()
    expect(dialog).to_contain_text("25 customers")
    dialog.locator("[data-role=confirm]").click()
    expect(sandbox.message("emails sent")).to_contain_text("Avery Approver")
    steps.shoot(browser_page, "edited-proposal-approved")

    (approval,) = control_room.services.state.approvals()
    assert approval.summary["audience"] == 25
    assert f"{chosen}".startswith(f"{approval.summary['discount']:.0%}")
    assert len(list((control_room.var_dir / "outbox").glob("*.eml"))) == 25
