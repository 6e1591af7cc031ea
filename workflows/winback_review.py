"""A person's review of a win-back's recipients before approval: exclude some, rewrite one's
email. Both are edits of the proposal (``ApprovalDesk.decide(..., "edited")``: claimed once,
audited), checked here against the proposal they edit; the run then re-prices the remaining
audience with Finance's ``winback_offer_roi``, re-drafts, and asks again.

An excluded person is recorded in the state store with who excluded her and when (and in the
audit log, ``recipients_excluded``); the send step reads that record and never emails her, from
this run, whatever its drafts say. Exclusions add up across rounds and are not undone.

A rewritten email replaces that recipient's draft while the offer is the one it was written
for: it quotes the discount and its code, so another discount (edited, or recommended for the
audience left) drafts her afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from integrations.statestore import StateStore
from policies.schema import WinbackPolicy
from workflows.proposals import SampleEmail
from workflows.runtime import open_checkpointer, run_config
from workflows.steps import WorkflowSpec
from workflows.winback_state import WinbackState


def campaign_audience(state: WinbackState, policy: WinbackPolicy) -> list[dict[str, Any]]:
    """Who the campaign is for: the eligible customers within the audience cap, less those a
    reviewer excluded (an exclusion never lets someone past the cap in)."""
    cap = state.get("audience_cap") or policy.audience_cap
    excluded = set(state.get("excluded_customers") or ())
    return [c for c in state["eligible"][:cap] if c["customer_id"] not in excluded]


def apply_review(store: StateStore, state: WinbackState, edits: Mapping[str, Any]) -> WinbackState:
    """The state after a review's checked edits: the excluded recorded (who, by whom, when;
    idempotent, so a re-run of the step records nothing twice), one email rewritten."""
    update: WinbackState = {}
    actor = str(state["decision"].get("actor") or "someone")
    overrides = dict(state.get("draft_edits") or {})
    if "exclude" in edits:
        wanted = {int(c) for c in edits["exclude"]}
        people = [
            (c["customer_id"], c["email"]) for c in state["eligible"] if c["customer_id"] in wanted
        ]
        store.exclude_recipients(state["run_id"], people, by=actor)
        update["excluded_customers"] = sorted(set(state.get("excluded_customers") or ()) | wanted)
    if "draft" in edits:
        draft = edits["draft"]
        overrides[str(draft["customer_id"])] = {
            "subject": draft["subject"],
            "body": draft["body"],
            "discount": state["discount"],  # the offer the person's text quotes
        }
    if overrides != (state.get("draft_edits") or {}):
        update["draft_edits"] = overrides
    return update


def unsent_to_excluded(
    store: StateStore, run_id: str, drafts: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The drafts that may go: none to a customer or an address excluded from this run (read
    from the state store, not from the drafts)."""
    excluded = store.excluded_recipients(run_id)
    return [d for d in drafts if excluded.keeps(int(d["customer_id"]), str(d["recipient"]))]


def recipient_draft(
    spec: WorkflowSpec, run_id: str, customer_id: int, *, database_url: str
) -> SampleEmail | None:
    """The email drafted for one recipient of a paused win-back, as it would go now (from the
    run's checkpoint); None when the customer is not in its audience."""
    with open_checkpointer(database_url) as saver:
        snapshot = spec.build().compile(checkpointer=saver).get_state(run_config(run_id))
    for draft in snapshot.values.get("drafts") or ():
        if draft["customer_id"] == customer_id:
            return SampleEmail.model_validate(
                {k: draft[k] for k in ("customer_id", "recipient", "subject", "body")}
            )
    return None
