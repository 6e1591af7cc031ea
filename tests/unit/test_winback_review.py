"""The per-recipient review: its edits checked against the proposal, the audience it leaves, and
the review modal's blocks and metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.views import View

import policies
from bot import ids
from bot.blocks import approvals, review_modal
from bot.blocks.edit_modal import MetadataTooLargeError
from bot.blocks.review_modal import (
    PER_PAGE,
    DraftMetadata,
    DraftRewrite,
    ReviewMetadata,
    RowChoice,
)
from policies import WinbackPolicy
from tests.proposals import RUN_ID, winback_proposal
from workflows.approvals import InvalidDecisionError
from workflows.proposals import Recipient, SampleEmail, WinbackProposal
from workflows.winback_review import campaign_audience
from workflows.winback_state import MAX_DRAFT_CHARS, WinbackState, check_edits


@pytest.fixture(scope="module")
def policy() -> WinbackPolicy:
    return policies.load_policies(Path(policies.__file__).parent).winback


def reviewed(count: int = 23) -> WinbackProposal:
    people = [
        Recipient(
            customer_id=100 + i,
            recipient=f"p{i}@example.com",
            first_name=f"P{i}",
            segment="At Risk",
        )
        for i in range(count)
    ]
    return winback_proposal(audience=count, recipients=people)


def refusal(policy: WinbackPolicy, edits: dict[str, Any], proposal: WinbackProposal) -> str:
    with pytest.raises(InvalidDecisionError) as raised:
        check_edits(policy, edits, proposal)
    return str(raised.value)


def test_exclusions_are_checked_against_the_proposals_recipients(policy: WinbackPolicy) -> None:
    proposal = reviewed(3)
    assert check_edits(policy, {"exclude": ["101", 100, 100]}, proposal) == {"exclude": [100, 101]}
    assert "not 999, -1" in refusal(policy, {"exclude": [999, "x"]}, proposal)
    assert "exclude customers of this campaign's audience" in refusal(
        policy, {"exclude": []}, proposal
    )
    assert "at most 2 of the 3 recipients" in refusal(
        policy, {"exclude": [100, 101, 102]}, proposal
    )


def test_a_rewritten_email_must_be_for_someone_still_emailed_and_fit(
    policy: WinbackPolicy,
) -> None:
    proposal = reviewed(3)
    good = {"customer_id": "101", "subject": " Hi ", "body": "Line one\nLine two"}
    assert check_edits(policy, {"draft": good}, proposal) == {
        "draft": {"customer_id": 101, "subject": "Hi", "body": "Line one\nLine two"}
    }
    assert "someone the campaign still emails" in refusal(
        policy, {"draft": good, "exclude": [101]}, proposal
    )
    too_long = good | {"body": "x" * (MAX_DRAFT_CHARS + 1)}
    assert f"1 to {MAX_DRAFT_CHARS:,} characters" in refusal(policy, {"draft": too_long}, proposal)
    assert "U+0007" in refusal(policy, {"draft": good | {"body": "bell \a"}}, proposal)
    assert "one line" in refusal(policy, {"draft": good | {"subject": "a\nb"}}, proposal)
    assert "names its customer" in refusal(policy, {"draft": "not a mapping"}, proposal)


def test_each_wrong_field_of_a_mixed_edit_is_named(policy: WinbackPolicy) -> None:
    with pytest.raises(InvalidDecisionError) as raised:
        check_edits(policy, {"exclude": [999], "discount": "0.99"}, reviewed(3))
    assert set(raised.value.fields) == {"exclude", "discount"}


def test_a_new_audience_cap_and_exclusions_are_not_taken_together(policy: WinbackPolicy) -> None:
    said = refusal(policy, {"exclude": [100], "audience_cap": "2"}, reviewed(3))
    assert "change the audience cap and exclude recipients separately" in said


def test_the_audience_is_capped_first_then_the_excluded_are_dropped(
    policy: WinbackPolicy,
) -> None:
    eligible = [{"customer_id": i} for i in range(10)]
    state: WinbackState = {"eligible": eligible, "audience_cap": 4, "excluded_customers": [1, 7]}
    assert [c["customer_id"] for c in campaign_audience(state, policy)] == [0, 2, 3]


def test_the_review_modal_is_valid_and_pages_ten_recipients_at_a_time() -> None:
    proposal = reviewed(23)
    review = ReviewMetadata(run_id=RUN_ID, page=2, exclude=[120])
    view = review_modal.review_modal(proposal, review, notice="Try <again>")
    View(**view).validate_json()
    rows = [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("review_row_")]
    assert [r["block_id"] for r in rows] == ["review_row_120", "review_row_121", "review_row_122"]
    assert [o["value"] for o in rows[0]["accessory"]["options"]] == ["include:120"]
    assert [o["value"] for o in rows[1]["accessory"]["options"]] == [
        "exclude:121",
        "rewrite:121",
    ]
    [pages] = [b for b in view["blocks"] if b.get("block_id") == "review_pages"]
    assert [e["action_id"] for e in pages["elements"]] == [ids.REVIEW_PREVIOUS]
    text = str(view["blocks"])
    assert "Page 3 of 3" in text and "1 to exclude" in text and "Try &lt;again&gt;" in text
    assert ReviewMetadata.read(view["private_metadata"]) == review


def test_a_page_out_of_range_shows_the_nearest_page() -> None:
    view = review_modal.review_modal(reviewed(23), ReviewMetadata(run_id=RUN_ID, page=99))
    assert ReviewMetadata.read(view["private_metadata"]) == ReviewMetadata(run_id=RUN_ID, page=2)
    first = review_modal.review_modal(reviewed(5), ReviewMetadata(run_id=RUN_ID, page=-3))
    assert not [b for b in first["blocks"] if b.get("block_id") == "review_pages"]
    assert len([b for b in first["blocks"] if "accessory" in b]) == 5 < PER_PAGE


def test_excluding_someone_drops_her_rewritten_email_and_including_her_again_undoes_it() -> None:
    mine = DraftRewrite(customer_id=7, subject="s", body="b")
    review = ReviewMetadata(run_id=RUN_ID, draft=mine)
    excluded = review.choose("exclude", 7)
    assert (excluded.exclude, excluded.draft) == ([7], None)
    assert review.choose("exclude", 8).draft == mine
    assert excluded.choose("include", 7).exclude == []
    assert excluded.edits() == {"exclude": [7]}
    assert review.edits() == {"draft": {"customer_id": 7, "subject": "s", "body": "b"}}


def test_a_review_too_big_for_a_modal_says_what_to_do() -> None:
    review = ReviewMetadata(run_id=RUN_ID, exclude=list(range(10**8, 10**8 + 400)))
    with pytest.raises(MetadataTooLargeError, match="re-price with these choices first"):
        review.dumped()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "exclude",
        "exclude:",
        "drop:1",
        "exclude:-1",
        "x:1:2",
        "exclude:²",
        "rewrite:" + "9" * 5000,
    ],
)
def test_a_forged_row_choice_is_not_read(value: str) -> None:
    assert RowChoice.read(value) is None


def test_the_rewrite_modal_is_valid_and_prefilled() -> None:
    person = reviewed(1).recipients[0]
    written = SampleEmail(customer_id=100, recipient=person.recipient, subject="S", body="B")
    metadata = DraftMetadata(
        parent_view="V1", customer_id=100, review=ReviewMetadata(run_id=RUN_ID)
    )
    view = review_modal.draft_modal(person, written, metadata)
    View(**view).validate_json()
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[ids.REVIEW_DRAFT_SUBJECT_BLOCK]["initial_value"] == "S"
    assert inputs[ids.REVIEW_DRAFT_BODY_BLOCK]["max_length"] == MAX_DRAFT_CHARS
    assert DraftMetadata.read(view["private_metadata"]) == metadata


def test_a_campaign_with_recipients_offers_review_and_says_how_many_were_excluded() -> None:
    built = approvals.proposal_blocks(
        RUN_ID, reviewed(3).model_copy(update={"excluded_in_review": 2})
    )
    actions = built[-1]
    assert [e["action_id"] for e in actions["elements"]][-1] == ids.REVIEW
    assert "2 excluded in review" in str(built)
    plain = approvals.proposal_blocks(RUN_ID, winback_proposal())
    assert ids.REVIEW not in str(plain[-1])
