"""The win-back offer's expected profit and ROI for each discount option, and the one to send.

For an audience of N candidates, each with P(alive) ``p_i`` and expected order value ``v_i`` at
full price (e.g. the Gamma-Gamma expected spend), and a discount ``d`` with response rate
``r(d)`` from the policy::

    alive                    A  = Σ p_i                      expected customers still buying
    value at stake           V  = Σ p_i · v_i                their expected order value
    reactivations            R  = r(d) · A                   extra orders the offer causes
    baseline redemptions     B  = b · A                      would have ordered anyway; use the code
    expected revenue            = (1 − d) · r(d) · V         paid for the reactivated orders
    expected margin          M  = g · r(d) · V               gross margin on them at full price
    discount cost            D  = d · (r(d) + b) · V         on redeemed orders only, both kinds
    sending cost             S  = c · N                      on every email sent
    expected profit          P  = M − D − S
    ROI                         = P / (D + S)                None when nothing is spent

``r(d)`` is the *incremental* response: the share of alive recipients who order because of the
offer; ``b`` (the baseline order rate) is the share who would have ordered in the offer's life
anyway and now get the discount too; ``g`` is the gross margin rate; ``c`` the cost of one email.
The recommended option is the one with the highest expected profit among the options within the
policy's ``max_discount`` (the smaller discount on a tie), and none when no such option is
expected to make money.

The caller chooses the audience (segments, P(alive) band, audience cap); the result notes where
the audience falls outside the policy rather than silently changing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from agents.finance._exceptions import InvalidRequestError
from policies.schema import WinbackPolicy


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class WinbackCandidates:
    """The audience: one entry per customer, in three arrays of equal length.

    ``p_alive`` is the probability the customer may still buy (0–1); ``expected_order_value``
    is her expected next order at full price, in dollars. Build it with ``of`` from any
    sequences; the win-back workflow fills it from the insights agent's churn model.
    """

    customer_id: npt.NDArray[np.int64]
    p_alive: npt.NDArray[np.float64]
    expected_order_value: npt.NDArray[np.float64]

    @classmethod
    def of(
        cls,
        customer_id: Sequence[int] | npt.ArrayLike,
        p_alive: Sequence[float] | npt.ArrayLike,
        expected_order_value: Sequence[float] | npt.ArrayLike,
    ) -> WinbackCandidates:
        """Candidates from three sequences or arrays, converted and checked."""
        return cls(
            customer_id=np.asarray(customer_id, dtype=np.int64),
            p_alive=np.asarray(p_alive, dtype=np.float64),
            expected_order_value=np.asarray(expected_order_value, dtype=np.float64),
        )

    def __post_init__(self) -> None:
        size = self.customer_id.shape
        if len(size) != 1 or self.p_alive.shape != size or self.expected_order_value.shape != size:
            raise InvalidRequestError(
                "candidates need one customer_id, p_alive and expected_order_value each"
            )
        if size[0] == 0:
            raise InvalidRequestError("no candidates: the win-back audience is empty")
        if np.unique(self.customer_id).size != size[0]:
            raise InvalidRequestError("a customer appears more than once among the candidates")
        if not np.all((self.p_alive >= 0) & (self.p_alive <= 1)):
            raise InvalidRequestError("p_alive must be a probability between 0 and 1")
        if not np.all(np.isfinite(self.expected_order_value) & (self.expected_order_value >= 0)):
            raise InvalidRequestError("expected_order_value must be a non-negative amount")

    def __len__(self) -> int:
        return int(self.customer_id.size)


class OfferEconomics(_Frozen):
    """Every assumption behind the figures, as the policy states them."""

    gross_margin_rate: float
    cost_per_email: float
    baseline_order_rate: float
    response_rate_by_discount: dict[float, float]
    max_discount: float
    p_alive_min: float
    p_alive_max: float
    audience_cap: int

    @classmethod
    def from_policy(cls, policy: WinbackPolicy) -> OfferEconomics:
        return cls(
            gross_margin_rate=policy.gross_margin_rate,
            cost_per_email=policy.cost_per_email,
            baseline_order_rate=policy.baseline_order_rate,
            response_rate_by_discount=dict(policy.response_rate_by_discount),
            max_discount=policy.max_discount,
            p_alive_min=policy.p_alive_min,
            p_alive_max=policy.p_alive_max,
            audience_cap=policy.audience_cap,
        )


class AudienceSummary(_Frozen):
    """The candidates in aggregate: what the ROI formulas use (A and V in the module doc)."""

    customers: int
    expected_alive: float
    mean_p_alive: float
    mean_expected_order_value: float
    value_at_stake: float
    outside_p_alive_band: int


class OfferOption(_Frozen):
    """One discount's expected outcome (formulas in the module doc)."""

    discount: float
    response_rate: float
    within_cap: bool
    emails_sent: int
    expected_reactivations: float
    expected_baseline_redemptions: float
    expected_revenue: float
    expected_margin: float
    discount_cost: float
    sending_cost: float
    expected_profit: float
    roi: float | None


class WinbackRoi(_Frozen):
    """The options compared, the recommendation, and every input that made them."""

    audience: AudienceSummary
    assumptions: OfferEconomics
    options: list[OfferOption]
    recommended_discount: float | None
    recommendation: str
    notes: list[str]


def winback_offer_roi(
    candidates: WinbackCandidates,
    policy: WinbackPolicy,
    *,
    discounts: Sequence[float] | None = None,
) -> WinbackRoi:
    """Expected profit and ROI of each discount option (default: the policy's) for ``candidates``.

    Raises ``InvalidRequestError`` for a discount the policy has no response rate for.
    """
    economics = OfferEconomics.from_policy(policy)
    options_asked = sorted(set(discounts if discounts is not None else policy.discount_options))
    unknown = [d for d in options_asked if d not in economics.response_rate_by_discount]
    if unknown:
        raise InvalidRequestError(
            f"no response rate in the win-back policy for discount(s) "
            f"{', '.join(f'{d:.0%}' for d in unknown)}: add them to response_rate_by_discount"
        )

    p_alive, value = candidates.p_alive, candidates.expected_order_value
    sent = len(candidates)
    alive = float(p_alive.sum())
    at_stake = float(np.dot(p_alive, value))
    outside_band = int(
        np.count_nonzero((p_alive < economics.p_alive_min) | (p_alive > economics.p_alive_max))
    )
    audience = AudienceSummary(
        customers=sent,
        expected_alive=alive,
        mean_p_alive=alive / sent,
        mean_expected_order_value=float(value.mean()),
        value_at_stake=at_stake,
        outside_p_alive_band=outside_band,
    )
    options = [_option(d, economics, sent, alive, at_stake) for d in options_asked]
    eligible = [o for o in options if o.within_cap]
    best = min(eligible, key=lambda o: (-o.expected_profit, o.discount), default=None)
    recommended = best if best is not None and best.expected_profit > 0 else None

    notes = []
    if outside_band:
        notes.append(
            f"{outside_band} of {sent} candidates have P(alive) outside the policy's band "
            f"{economics.p_alive_min:g}–{economics.p_alive_max:g}"
        )
    if sent > economics.audience_cap:
        notes.append(f"the audience of {sent} exceeds the policy's cap of {economics.audience_cap}")
    above_cap = [o.discount for o in options if not o.within_cap]
    if above_cap:
        notes.append(
            f"shown for comparison only, above the {economics.max_discount:.0%} cap: "
            + ", ".join(f"{d:.0%}" for d in above_cap)
        )
    return WinbackRoi(
        audience=audience,
        assumptions=economics,
        options=options,
        recommended_discount=recommended.discount if recommended else None,
        recommendation=_recommendation(recommended, best, economics),
        notes=notes,
    )


def _option(
    discount: float, economics: OfferEconomics, sent: int, alive: float, at_stake: float
) -> OfferOption:
    response = economics.response_rate_by_discount[discount]
    baseline = economics.baseline_order_rate
    margin = economics.gross_margin_rate * response * at_stake
    discount_cost = discount * (response + baseline) * at_stake
    sending_cost = economics.cost_per_email * sent
    profit = margin - discount_cost - sending_cost
    spent = discount_cost + sending_cost
    return OfferOption(
        discount=discount,
        response_rate=response,
        within_cap=discount <= economics.max_discount,
        emails_sent=sent,
        expected_reactivations=response * alive,
        expected_baseline_redemptions=baseline * alive,
        expected_revenue=(1 - discount) * response * at_stake,
        expected_margin=margin,
        discount_cost=discount_cost,
        sending_cost=sending_cost,
        expected_profit=profit,
        roi=profit / spent if spent > 0 else None,
    )


def _recommendation(
    recommended: OfferOption | None, best: OfferOption | None, economics: OfferEconomics
) -> str:
    if recommended is not None:
        roi = f", ROI {recommended.roi:.0%}" if recommended.roi is not None else ""
        return (
            f"Offer {recommended.discount:.0%} off: expected profit "
            f"${recommended.expected_profit:,.2f}{roi}, from "
            f"{recommended.expected_reactivations:,.1f} expected reactivations among "
            f"{recommended.emails_sent:,} emails."
        )
    if best is None:
        return f"No discount option is within the policy's {economics.max_discount:.0%} cap."
    return (
        f"No option within the {economics.max_discount:.0%} cap is expected to be profitable "
        f"(the best, {best.discount:.0%} off, would lose ${-best.expected_profit:,.2f}): "
        "don't send this offer to this audience."
    )
