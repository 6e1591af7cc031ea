"""The suppression list's management on SQLite and PostgreSQL: add with its audit entry, once;
look up, list and remove; an unreachable database is one line, not a traceback."""

from __future__ import annotations

import pytest

from integrations.statestore import StateStore, StateStoreUnavailableError


def test_an_added_address_is_suppressed_whatever_the_capitals_and_audited_once(
    store: StateStore,
) -> None:
    assert store.add_suppression(
        " Ana.Lima@Example.com ", reason="asked by phone", actor="cli:ops", customer_id=42
    )
    assert store.suppressed(["ANA.LIMA@EXAMPLE.COM", "other@example.com"]) == {
        "ana.lima@example.com"
    }
    again = store.add_suppression("ana.lima@example.com", reason="one-click", actor="link")
    assert again is False
    entry = store.suppression("ANA.lima@example.com")
    assert entry is not None
    assert (entry.email, entry.customer_id, entry.reason) == (
        "ana.lima@example.com",
        42,
        "asked by phone",  # the first reason is kept
    )
    audited = [e for e in store.audit_entries() if e.action == "suppressed"]
    assert len(audited) == 1
    assert audited[0].actor == "cli:ops"
    assert audited[0].detail == {
        "email": "ana.lima@example.com",
        "customer_id": 42,
        "reason": "asked by phone",
    }


def test_an_address_suppressed_again_keeps_its_first_entry(store: StateStore) -> None:
    assert store.add_suppression(
        "Bounced@Example.com", reason="hard bounce", actor="bounces", customer_id=7
    )
    assert not store.add_suppression("bounced@example.com", reason="again", actor="cli:ops")
    (entry,) = store.suppression_list()
    assert (entry.email, entry.reason) == ("bounced@example.com", "hard bounce")


def test_the_list_is_newest_first_and_limited(store: StateStore) -> None:
    for n in range(3):
        store.add_suppression(f"p{n}@example.com", reason="test", actor="cli:ops")
    assert store.suppression_count() == 3
    assert [s.email for s in store.suppression_list()] == [
        "p2@example.com",
        "p1@example.com",
        "p0@example.com",
    ]
    assert len(store.suppression_list(limit=2)) == 2


def test_a_removed_address_may_be_emailed_again_and_the_removal_is_audited(
    store: StateStore,
) -> None:
    store.add_suppression("x@example.com", reason="by mistake", actor="cli:ops", customer_id=3)
    removed = store.remove_suppression("X@EXAMPLE.COM", actor="cli:ops")
    assert removed is not None
    assert removed.reason == "by mistake"
    assert store.suppressed(["x@example.com"]) == set()
    assert store.remove_suppression("x@example.com", actor="cli:ops") is None
    (entry,) = [e for e in store.audit_entries() if e.action == "unsuppressed"]
    assert entry.detail == {"email": "x@example.com", "customer_id": 3, "reason": "by mistake"}


def test_an_unreachable_database_is_one_line_naming_it() -> None:
    store = StateStore("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    where = r"^state store .*127\.0\.0\.1:1/none"
    with pytest.raises(StateStoreUnavailableError, match=where) as e:
        store.add_suppression("a@example.com", reason="r", actor="a")
    assert "secret" not in str(e.value)
    assert "\n" not in str(e.value)
    with pytest.raises(StateStoreUnavailableError):
        store.suppression_list()
    store.close()
