"""At most one email per person per cap window, whatever campaigns are pending: the cap is held
when each row is claimed, across runs and processes, and an address is one person whatever its
capitals or however many customer records carry it."""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from tests.integration._campaigns import APPROVER, make_desk
from tests.integration.conftest import propose_winback
from tests.integration.test_approvals_claimed_once import _approve_in_a_process
from workflows.approvals import ApprovalDesk
from workflows.steps import RunOutcome

AUDIENCE = 40


@pytest.fixture
def desk(
    store: StateStore, database_url: str, sample_warehouse: Warehouse, outbox: Path
) -> ApprovalDesk:
    """The shared desk, with an audience of ``AUDIENCE``."""
    return make_desk(store, database_url, sample_warehouse.path, outbox, audience_cap=AUDIENCE)


def _propose(desk: ApprovalDesk) -> RunOutcome:
    started = propose_winback(desk)
    assert started.proposal is not None
    return started


def _delivered(outbox: Path) -> Counter[str]:
    """How many emails each address got, read from the delivered files."""
    return Counter(
        str(email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["To"]).lower()
        for path in outbox.glob("*.eml")
    )


def test_two_pending_campaigns_both_approved_email_each_person_once(
    desk: ApprovalDesk, outbox: Path
) -> None:
    first, second = _propose(desk), _propose(desk)
    assert first.proposal and second.proposal
    assert first.proposal.audience == second.proposal.audience == AUDIENCE

    one = desk.decide(first.run_id, "approved", APPROVER)
    two = desk.decide(second.run_id, "approved", APPROVER)

    delivered = _delivered(outbox)
    assert len(delivered) == AUDIENCE
    assert set(delivered.values()) == {1}
    assert (one.result.sent, one.result.capped) == (AUDIENCE, 0)
    assert (two.result.sent, two.result.capped) == (0, AUDIENCE)
    # Skipping people the cap protects is the policy working: the second run succeeded.
    assert two.status == "succeeded"


@pytest.mark.slow  # two processes: ~10 s for each database
def test_two_campaigns_approved_at_the_same_moment_in_two_processes_email_each_person_once(
    desk: ApprovalDesk, database_url: str, sample_warehouse: Warehouse, outbox: Path
) -> None:
    runs = [_propose(desk), _propose(desk)]
    start_at = time.time() + 3
    children = [
        _approve_in_a_process(
            run.run_id,
            database_url,
            sample_warehouse.path,
            outbox,
            audience_cap=AUDIENCE,
            start_at=start_at,
        )
        for run in runs
    ]
    for child in children:
        out, _ = child.communicate(timeout=180)
        assert (child.returncode, out.strip()) == (0, "succeeded")
    delivered = _delivered(outbox)
    assert len(delivered) == AUDIENCE
    assert set(delivered.values()) == {1}
    rows = [row for run in runs for row in desk.state.outbox_emails(run_id=run.run_id)]
    assert Counter(row.status for row in rows) == {"sent": AUDIENCE, "capped": AUDIENCE}


def test_one_address_on_two_customer_records_is_one_person_whatever_its_capitals(
    desk: ApprovalDesk, sample_warehouse: Warehouse, outbox: Path
) -> None:
    # The first proposal shows who is in the audience: give two of them one address.
    probe = _propose(desk)
    assert probe.proposal is not None
    desk.decide(probe.run_id, "rejected", APPROVER, reason="only looking")
    samples = probe.proposal.samples
    shared = "Shared.Inbox@Example.com"
    with duckdb.connect(str(sample_warehouse.path)) as connection:
        connection.execute(
            "UPDATE customers SET email = ? WHERE customer_id = ?",
            [shared, samples[0].customer_id],
        )
        connection.execute(
            "UPDATE customers SET email = ? WHERE customer_id = ?",
            [shared.lower(), samples[1].customer_id],
        )
    started = _propose(desk)
    assert started.proposal is not None
    assert started.proposal.excluded["same address as another customer"] == 1
    desk.decide(started.run_id, "approved", APPROVER)
    assert _delivered(outbox)[shared.lower()] == 1


def test_a_person_emailed_by_another_campaign_after_this_one_was_proposed_is_skipped_at_send(
    desk: ApprovalDesk, store: StateStore, outbox: Path
) -> None:
    started = _propose(desk)
    assert started.proposal is not None
    person = started.proposal.samples[0].recipient
    # Another campaign (another customer record, the same address in capitals) emails them.
    other = store.start_run("winback", started_by="tester", trigger="cli")
    store.queue_email(other.run_id, 999_999, recipient=person.upper(), subject="s", body="b")
    (claimed,) = store.claim_emails(other.run_id, "token", limit=1).emails
    assert claimed.recipient == person.upper()

    outcome = desk.decide(started.run_id, "approved", APPROVER)
    assert outcome.result.capped == 1
    assert outcome.result.sent == AUDIENCE - 1
    assert person.lower() not in _delivered(outbox)


def test_a_pending_campaign_counts_who_another_campaign_emailed_since_it_was_proposed(
    desk: ApprovalDesk, store: StateStore
) -> None:
    first, second = _propose(desk), _propose(desk)
    assert store.emailed_since_proposed(second.run_id) == 0

    desk.decide(first.run_id, "approved", APPROVER)

    assert store.emailed_since_proposed(second.run_id) == AUDIENCE
    assert store.emailed_since_proposed(first.run_id) == 0  # its own emails do not count
    # An edit re-drafts the audience; who was emailed since the first proposal still counts.
    desk.decide(second.run_id, "edited", APPROVER, edits={"discount": 0.15})
    assert store.emailed_since_proposed(second.run_id) == AUDIENCE
    # A campaign proposed after the send leaves those people out (the cap): nothing to count.
    assert store.emailed_since_proposed(_propose(desk).run_id) == 0
