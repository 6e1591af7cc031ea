"""Personal win-back drafts: segment, recency and favourite category make each email its own."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from agents.marketing.emails import CustomerProfile, Offer, customer_profiles, draft_email
from integrations.warehouse.warehouse import create_schema

OFFER = Offer(discount=0.15, code="COMEBACK15", expires=date(2026, 12, 6))


def _profile(**changes: object) -> CustomerProfile:
    values: dict[str, object] = {
        "customer_id": 7,
        "first_name": "Avery",
        "email": "avery.walker.7@example.com",
        "segment": "At Risk",
        "last_order": date(2026, 5, 1),
        "days_since_last_order": 205,
        "orders": 6,
        "favourite_category": "Footwear",
        "marketing_opt_in": True,
    }
    values.update(changes)
    return CustomerProfile(**values)  # type: ignore[arg-type]


def test_a_draft_names_the_customer_her_offer_and_her_favourite_gear() -> None:
    draft = draft_email(_profile(), OFFER)
    assert draft.recipient == "avery.walker.7@example.com"
    assert draft.subject == "Avery, 15% off your next adventure"
    assert draft.body.startswith("Hi Avery,")
    assert "trail runners and waterproof hiking boots" in draft.body
    assert "Use code COMEBACK15 for 15% off your next order, until 6 December." in draft.body
    assert "Your last order was 6 months ago" in draft.body
    assert len(set(draft.subject_variants)) == 3


@pytest.mark.parametrize(
    ("segment", "opening"),
    [
        ("Can't Lose Them", "one of our most loyal customers"),
        ("At Risk", "We have missed you on the trail."),
        ("Hibernating", "A lot has changed at Two Peaks"),
    ],
)
def test_the_opening_follows_the_segment(segment: str, opening: str) -> None:
    assert opening in draft_email(_profile(segment=segment), OFFER).body


@pytest.mark.parametrize(
    ("days", "said"),
    [(20, "20 days"), (75, "2 months"), (400, "over a year"), (800, "over 2 years")],
)
def test_time_away_is_said_the_way_a_person_would(days: int, said: str) -> None:
    assert (
        f"Your last order was {said} ago"
        in draft_email(_profile(days_since_last_order=days), OFFER).body
    )


def test_profiles_come_from_the_warehouse_as_of_a_date_in_the_order_asked() -> None:
    connection = duckdb.connect()
    create_schema(connection)
    connection.execute(
        """
        INSERT INTO customers VALUES
          (1, 'Avery', 'Walker', 'a@example.com', DATE '2025-01-01', 'organic', 'US', true),
          (2, 'Blake', 'Chen', 'b@example.com', DATE '2025-02-01', 'email', 'CA', false);
        INSERT INTO orders VALUES
          (1, 1, DATE '2025-01-01', 100, 0, 'Camping', 'organic'),
          (2, 1, DATE '2025-03-01', 50, 0, 'Camping', 'email'),
          (3, 1, DATE '2026-01-01', 80, 0, 'Footwear', 'email'),
          (4, 2, DATE '2025-02-01', 70, 0, 'Packs', 'direct');
        """
    )
    profiles = customer_profiles(
        connection, [2, 1], as_of=date(2025, 12, 31), segments={1: "At Risk"}
    )
    assert [p.customer_id for p in profiles] == [2, 1]
    avery = profiles[1]
    assert (avery.orders, avery.last_order, avery.favourite_category) == (
        2,
        date(2025, 3, 1),
        "Camping",
    )
    assert avery.days_since_last_order == 305
    assert avery.segment == "At Risk"
    assert profiles[0].segment == "Customers" and not profiles[0].marketing_opt_in
