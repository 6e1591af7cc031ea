"""Who a win-back is for: the customers the policy targets, narrowed by what a person asked
for (``Targeting``), best value at stake first, and why the others were left out.

Segments, days since the last order and the P(alive) band come from the warehouse's models;
opt-in from the customer record; suppressions and the frequency cap from the state store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from agents.insights.churn import churn_scores
from agents.insights.history import customer_history, last_order_date
from agents.insights.rfm import score_rfm
from agents.marketing.emails import CustomerProfile, customer_profiles
from integrations.statestore import StateStore
from integrations.text import person_key
from integrations.warehouse import Warehouse
from policies.schema import RFMPolicy, WinbackPolicy
from workflows.winback_state import WinbackState

# "20%", "0.2", "15 pct", "20 percent off": what a person types for a discount.
_A_DISCOUNT = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|pct|percent|per cent)?(?:\s*off)?", re.IGNORECASE)

logger = logging.getLogger(__name__)


def select_audience(
    warehouse: Warehouse,
    state: StateStore,
    policy: WinbackPolicy,
    rfm: RFMPolicy,
    *,
    as_of: str | None = None,
    targeting: Targeting | None = None,
) -> WinbackState:
    """The customers the policy targets (narrowed by ``targeting``), best value at stake first,
    and why others were left out.

    Segments, days since the last order and the P(alive) band come from the warehouse's models;
    opt-in from the customer record; suppressions and the frequency cap from the state store.
    """
    with warehouse.connect() as connection:
        day = date.fromisoformat(as_of) if as_of else last_order_date(connection)
        history = customer_history(connection, day)
        segments = np.asarray(score_rfm(history, rfm).customers["segment"].to_pylist())
        churn = churn_scores(history, rfm.churn).customers
        p_alive = churn["p_alive"].to_numpy()
        value = churn["expected_average_value"].to_numpy()
        aim = targeting or Targeting()
        in_segment = np.isin(segments, list(aim.segments or policy.segments))
        lapsed = history.days_since_last_order >= (aim.min_days or policy.min_days_since_last_order)
        in_band = (p_alive >= policy.p_alive_min) & (p_alive <= policy.p_alive_max)
        targeted = np.flatnonzero(in_segment & lapsed & in_band)
        # Most value at stake first: the cap keeps the customers worth most to win back.
        order = targeted[np.lexsort((history.customer_id[targeted], -(p_alive * value)[targeted]))]
        ids = [int(i) for i in history.customer_id[order]]
        profiles = customer_profiles(
            connection,
            ids,
            as_of=day,
            segments={int(history.customer_id[i]): str(segments[i]) for i in order},
        )
    scores = {int(history.customer_id[i]): (float(p_alive[i]), float(value[i])) for i in order}
    suppressed = state.suppressed([p.email for p in profiles])
    since = datetime.now(UTC) - timedelta(days=policy.frequency_cap_days)
    contacted = (
        state.recently_contacted([(p.customer_id, p.email) for p in profiles], since=since)
        if policy.frequency_cap_days
        else {}
    )
    excluded = {
        "not opted in": 0,
        "suppressed": 0,
        "contacted recently": 0,
        "same address as another customer": 0,
        "over the cap": 0,
    }
    eligible: list[dict[str, Any]] = []
    people: set[str] = set()
    capped: list[datetime] = []  # when each one left out by the frequency cap was last emailed
    for profile in profiles:
        person = person_key(profile.email)
        if not profile.marketing_opt_in:
            excluded["not opted in"] += 1
        elif person in suppressed:
            excluded["suppressed"] += 1
        elif profile.customer_id in contacted:
            excluded["contacted recently"] += 1
            capped.append(contacted[profile.customer_id])
        elif person in people:
            excluded["same address as another customer"] += 1
        elif len(eligible) >= policy.audience_cap:
            excluded["over the cap"] += 1
        else:
            p, v = scores[profile.customer_id]
            people.add(person)
            eligible.append(_customer(profile, p, v))
    logger.info("win-back as of %s: %d eligible, excluded %s", day, len(eligible), excluded)
    next_eligible = (
        (min(capped) + timedelta(days=policy.frequency_cap_days)).isoformat() if capped else None
    )
    return {
        "as_of": day.isoformat(),
        "eligible": eligible,
        "excluded": excluded,
        "next_eligible": next_eligible,
    }


class WinbackTargetError(ValueError):
    """A win-back asked for customers the policy does not allow: the message says which may be."""


@dataclass(frozen=True, slots=True)
class Targeting:
    """A narrower audience than the policy's: some of its segments, a longer lapse (days since
    the last order). Empty: the policy's own."""

    segments: tuple[str, ...] = ()
    min_days: int | None = None


def targeting(policy: WinbackPolicy, segment: str | None, days: int | None) -> Targeting:
    """Read a person's "winback at-risk --days 90" against the policy: a segment it targets
    (case, hyphens and underscores ignored) and at least its minimum lapse; else
    ``WinbackTargetError`` naming what is allowed."""
    segments: tuple[str, ...] = ()
    if segment:
        wanted = _segment_key(segment)
        found = [s for s in policy.segments if _segment_key(s) == wanted]
        if not found:
            allowed = ", ".join(policy.segments)
            if _A_DISCOUNT.fullmatch(segment.strip()):
                offered = ", ".join(
                    f"{d:.0%}" for d in policy.discount_options if d <= policy.max_discount
                )
                raise WinbackTargetError(
                    f"{segment!r} reads as a discount: a proposal prices the policy's offers "
                    f"({offered}) and recommends one, and Edit on the proposal picks another. "
                    f"Name a segment instead, or none (policies/winback.yaml segments: "
                    f"{allowed})"
                )
            raise WinbackTargetError(
                f"{segment!r} is not a segment win-backs may target (policies/winback.yaml "
                f"segments: {allowed})"
            )
        segments = tuple(found)
    if days is not None and days < policy.min_days_since_last_order:
        raise WinbackTargetError(
            f"--days {days} is shorter than the policy's lapse: at least "
            f"{policy.min_days_since_last_order} days since the last order"
        )
    return Targeting(segments, days)


def _segment_key(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").replace("'", "").split())


def _customer(profile: CustomerProfile, p_alive: float, value: float) -> dict[str, Any]:
    return {
        "customer_id": profile.customer_id,
        "p_alive": p_alive,
        "expected_order_value": value,
        "first_name": profile.first_name,
        "email": profile.email,
        "segment": profile.segment,
        "last_order": profile.last_order.isoformat(),
        "days_since_last_order": profile.days_since_last_order,
        "orders": profile.orders,
        "favourite_category": profile.favourite_category,
    }


def profile_of(customer: Mapping[str, Any]) -> CustomerProfile:
    """The customer as the drafting agent reads her (from ``select_audience``'s record)."""
    return CustomerProfile(
        customer_id=customer["customer_id"],
        first_name=customer["first_name"],
        email=customer["email"],
        segment=customer["segment"],
        last_order=date.fromisoformat(customer["last_order"]),
        days_since_last_order=customer["days_since_last_order"],
        orders=customer["orders"],
        favourite_category=customer["favourite_category"],
        marketing_opt_in=True,
    )
