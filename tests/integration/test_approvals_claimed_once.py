"""Approvals are claimed once: two deciders at once, from threads and from processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from integrations.warehouse import Warehouse
from tests.integration._campaigns import APPROVER
from tests.integration.conftest import propose_winback
from workflows.approvals import AlreadyDecidedError, ApprovalDesk


def _assert_sent_once(desk: ApprovalDesk, run_id: str, outbox: Path) -> None:
    rows = desk.state.outbox_emails(run_id=run_id)
    assert len(rows) == 5
    assert [r.status for r in rows] == ["sent"] * 5
    assert len({r.customer_id for r in rows}) == 5
    assert len(list(outbox.glob("*.eml"))) == 5
    actions = [e.action for e in desk.state.audit_entries(run_id=run_id)]
    assert actions.count("approved") == 1
    assert actions.count("campaign_sent") == 1
    refusals = [
        e for e in desk.state.audit_entries(run_id=run_id) if e.action == "approval_refused"
    ]
    assert len(refusals) == 1
    assert refusals[0].detail["reason"].startswith(f"already approved by {APPROVER} at ")


def test_the_second_approval_is_refused_with_who_decided_and_when(desk: ApprovalDesk) -> None:
    started = propose_winback(desk)
    desk.decide(started.run_id, "approved", APPROVER)
    with pytest.raises(AlreadyDecidedError, match=f"already approved by {APPROVER} at 20"):
        desk.decide(started.run_id, "rejected", APPROVER, reason="too late")
    assert desk.state.get_approval(started.run_id).status == "approved"


def test_two_approvals_at_once_from_two_threads_send_each_email_once(
    desk: ApprovalDesk, outbox: Path
) -> None:
    started = propose_winback(desk)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def approve() -> None:
        barrier.wait()
        try:
            results.append(desk.decide(started.run_id, "approved", APPROVER))
        except AlreadyDecidedError as refusal:
            results.append(refusal)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(r).__name__ for r in results) == ["AlreadyDecidedError", "RunOutcome"]
    _assert_sent_once(desk, started.run_id, outbox)


def _approve_in_a_process(
    run_id: str, database_url: str, warehouse: Path, outbox: Path, **options: object
) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "tests.integration._campaigns",
        "approve",
        run_id,
        "--db",
        database_url,
        "--warehouse",
        str(warehouse),
        "--outbox",
        str(outbox),
    ]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)


@pytest.mark.slow  # a second process: ~3 s for each database
def test_a_run_paused_here_is_approved_from_another_process(
    desk: ApprovalDesk, database_url: str, sample_warehouse: Warehouse, outbox: Path
) -> None:
    started = propose_winback(desk)
    child = _approve_in_a_process(started.run_id, database_url, sample_warehouse.path, outbox)
    out, _ = child.communicate(timeout=120)
    assert (child.returncode, out.strip()) == (0, "succeeded")
    assert desk.state.get_run(started.run_id).status == "succeeded"
    assert len(desk.state.outbox_emails(run_id=started.run_id, status="sent")) == 5


@pytest.mark.slow  # two fresh Python processes per backend: ~10 s each
def test_two_approvals_at_once_from_two_processes_send_each_email_once(
    desk: ApprovalDesk, database_url: str, sample_warehouse: Warehouse, outbox: Path
) -> None:
    started = propose_winback(desk)
    # Both processes import everything first, then decide at the same moment.
    start_at = time.time() + 8
    children = [
        _approve_in_a_process(
            started.run_id, database_url, sample_warehouse.path, outbox, start_at=start_at
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120)[0].strip() for child in children]
    codes = sorted(child.returncode for child in children)
    assert codes == [0, 3], outputs
    assert any(o.startswith(f"refused: already approved by {APPROVER}") for o in outputs)
    _assert_sent_once(desk, started.run_id, outbox)
