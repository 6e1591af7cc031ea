"""Personal email drafts and subject lines, written from a customer's facts (no model needed).

``draft_email`` personalises by segment (the tone), by how long the customer has been away (the
opening) and by her favourite category (what the email shows); the offer's figures come from
Finance. ``customer_profiles`` reads what a draft needs from the warehouse in one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """What a personal email may use about one customer."""

    customer_id: int
    first_name: str
    email: str
    segment: str
    last_order: date
    days_since_last_order: int
    orders: int
    favourite_category: str
    marketing_opt_in: bool


@dataclass(frozen=True, slots=True)
class Offer:
    """A win-back offer: the discount as a fraction, its code and its last day."""

    discount: float
    code: str
    expires: date


@dataclass(frozen=True, slots=True)
class EmailDraft:
    customer_id: int
    recipient: str
    subject: str
    subject_variants: tuple[str, ...]
    body: str


def customer_profiles(
    connection: duckdb.DuckDBPyConnection,
    customer_ids: Sequence[int],
    *,
    as_of: date,
    segments: dict[int, str],
) -> list[CustomerProfile]:
    """Profiles for ``customer_ids`` as of a date (orders after it are ignored), in that order."""
    if not customer_ids:
        return []
    rows = connection.execute(
        """
        WITH wanted AS (SELECT unnest($ids) AS customer_id, generate_subscripts($ids, 1) AS pos),
        history AS (
            SELECT o.customer_id, max(o.order_date) AS last_order, count(*) AS orders,
                   mode(o.category) AS favourite_category
            FROM orders o JOIN wanted USING (customer_id)
            WHERE o.order_date <= $as_of
            GROUP BY o.customer_id
        )
        SELECT c.customer_id, c.first_name, c.email, h.last_order, h.orders,
               h.favourite_category, c.marketing_opt_in
        FROM wanted w
        JOIN customers c USING (customer_id)
        JOIN history h USING (customer_id)
        ORDER BY w.pos
        """,
        {"ids": list(customer_ids), "as_of": as_of},
    ).fetchall()
    return [
        CustomerProfile(
            customer_id=row[0],
            first_name=row[1],
            email=row[2],
            segment=segments.get(row[0], "Customers"),
            last_order=row[3],
            days_since_last_order=(as_of - row[3]).days,
            orders=row[4],
            favourite_category=row[5],
            marketing_opt_in=row[6],
        )
        for row in rows
    ]


# The tone of the opening line, by RFM segment.
_OPENINGS = {
    "Can't Lose Them": "You have been one of our most loyal customers, and we have missed you.",
    "At Risk": "We have missed you on the trail.",
    "About To Sleep": "We noticed you have not been by in a little while.",
    "Hibernating": "A lot has changed at Two Peaks since we last saw you.",
    "Need Attention": "Thank you for shopping with us — we picked a few things for you.",
}
_CATEGORY_PITCH = {
    "Footwear": "new trail runners and waterproof hiking boots",
    "Apparel": "this season's shells, fleeces and base layers",
    "Camping": "lighter tents and warmer sleeping bags",
    "Climbing": "fresh ropes, harnesses and shoes",
    "Packs": "new daypacks and multi-day packs",
    "Accessories": "headlamps, bottles and trail essentials",
    "Winter Sports": "skis, snowboards and winter layers",
    "Water Sports": "paddles, dry bags and wetsuits",
}


def _away(days: int) -> str:
    if days >= 365:
        years = days // 365
        return "over a year" if years == 1 else f"over {years} years"
    months = days // 30
    return f"{months} months" if months >= 2 else f"{days} days"


def draft_email(customer: CustomerProfile, offer: Offer) -> EmailDraft:
    """A personal win-back email for one customer, with three subject-line variants."""
    percent = f"{offer.discount:.0%}"
    pitch = _CATEGORY_PITCH.get(customer.favourite_category, "new gear for your next trip")
    variants = (
        f"{customer.first_name}, {percent} off your next adventure",
        f"We saved you {percent} on {customer.favourite_category.lower()}",
        f"Back on the trail? Here is {percent} off, {customer.first_name}",
    )
    opening = _OPENINGS.get(customer.segment, "We have picked a few things for you.")
    body = (
        f"Hi {customer.first_name},\n\n"
        f"{opening} Your last order was {_away(customer.days_since_last_order)} ago, and we have "
        f"{pitch} waiting for you.\n\n"
        f"Use code {offer.code} for {percent} off your next order, until "
        f"{offer.expires:%-d %B}.\n\n"
        "See you out there,\nThe Two Peaks team"
    )
    return EmailDraft(
        customer_id=customer.customer_id,
        recipient=customer.email,
        subject=variants[0],
        subject_variants=variants,
        body=body,
    )
