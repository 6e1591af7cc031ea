"""The Insights specialist: segments and who moved, churn risk, cohort highlights — what changed
and why it matters.

All figures come from ``rfm``, ``churn`` and ``cohorts`` over the warehouse as of its last order
date; the request only chooses which of the three the answer dwells on.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from agents import formatting as fmt
from agents.insights.churn import ChurnScores, churn_scores
from agents.insights.cohorts import CohortRetention, retention_from_history, retention_heatmap_png
from agents.insights.history import customer_history, last_order_date
from agents.insights.rfm import RFMResult, SegmentMovements, movements_between, score_rfm
from agents.specialist import Chart, Report, Specialist, write_text
from integrations.llm import LanguageModel
from integrations.warehouse import Warehouse
from policies import RFMPolicy
from prompts import AgentPrompts

# Customers this likely (or less) to still be buying count as at risk of churning, among those
# who bought in the last year (older lapses are lost, not at risk).
AT_RISK_P_ALIVE = 0.5
RECENT_DAYS = 365
# Segments whose growth is bad news, named first in the movement summary.
WORRYING = ("At Risk", "Can't Lose Them", "About To Sleep", "Hibernating", "Lost")
COHORT_MONTH = 3

# What a report can dwell on beside the segments (the digest has all of them).
FOCI = ("segments", "churn", "cohorts")


class InsightsAgent:
    """RFM segments and movements, churn risk and cohorts for one request."""

    name: Specialist = "insights"
    job = "RFM segments and who moved between them, churn risk (P(alive)), cohort retention"

    def __init__(
        self,
        *,
        warehouse: Warehouse,
        model: LanguageModel,
        prompts: AgentPrompts,
        policy: RFMPolicy,
    ) -> None:
        self._warehouse = warehouse
        self._model = model
        self._prompts = prompts
        self._policy = policy

    def weekly_section(self) -> Report:
        """The digest's insights part: segments and who moved in the last week, churn risk, the
        cohort highlight and the retention heatmap."""
        return self.report(list(FOCI))

    def report(self, focus: list[str]) -> Report:
        """Segments and who moved in the last week, with churn risk and cohort retention when
        ``focus`` names them ("churn", "cohorts")."""
        with self._warehouse.connect() as connection:
            as_of = last_order_date(connection)
            history = customer_history(connection, as_of)
            week_ago = customer_history(connection, as_of - timedelta(days=7))
        now = score_rfm(history, self._policy)
        moves = movements_between(score_rfm(week_ago, self._policy), now)
        churn = churn_scores(history, self._policy.churn) if "churn" in focus else None
        cohorts = retention_from_history(history) if "cohorts" in focus else None
        facts = insight_facts(as_of, now, moves, churn, cohorts)
        offline = insight_text(facts, focus)
        written = write_text(
            self._model, self._prompts, "insights", "segment_report", facts, offline=offline
        )
        charts = (
            (Chart("Cohort retention", retention_heatmap_png(cohorts)),)
            if cohorts is not None
            else ()
        )
        return Report(
            agent="insights",
            title=f"Insights — customers as of {fmt.day(as_of)}",
            text=written.text,
            facts=facts,
            written_by=written.source,
            charts=charts,
        )


def insight_facts(
    as_of: date,
    rfm: RFMResult,
    moves: SegmentMovements,
    churn: ChurnScores | None,
    cohorts: CohortRetention | None,
) -> dict[str, Any]:
    """The figures an insights text may quote."""
    facts: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "customers": sum(segment.customers for segment in rfm.segments),
        "segments": {
            segment.segment: {
                "customers": segment.customers,
                "customer_share": segment.customer_share,
                "revenue_share": segment.revenue_share,
            }
            for segment in rfm.segments
        },
        "movements_since": moves.start.isoformat(),
        "moves": [
            {"from": move.from_segment, "to": move.to_segment, "customers": move.customers}
            for move in moves.changes
        ],
    }
    if churn is not None:
        facts["churn"] = _churn_facts(churn, rfm)
    if cohorts is not None:
        facts["cohorts"] = _cohort_facts(cohorts)
    return facts


def _churn_facts(churn: ChurnScores, rfm: RFMResult) -> dict[str, Any]:
    table = churn.customers
    p_alive = table.column("p_alive").to_numpy()
    recency_days = rfm.customers.column("days_since_last_order").to_numpy()
    # Both tables are keyed by the same customers in the same order (one customer history).
    recent = recency_days <= RECENT_DAYS
    at_risk = recent & (p_alive < AT_RISK_P_ALIVE)
    value = table.column("expected_average_value").to_numpy()
    return {
        "model": churn.params.model,
        "horizon_days": churn.horizon_days,
        "recent_window_days": RECENT_DAYS,
        "at_risk_threshold": AT_RISK_P_ALIVE,
        "recent_customers": int(recent.sum()),
        "at_risk_customers": int(at_risk.sum()),
        "at_risk_share": float(at_risk.sum() / max(int(recent.sum()), 1)),
        "at_risk_average_order_value": float(value[at_risk].mean()) if at_risk.any() else None,
        "expected_purchases_next_horizon": float(
            table.column("expected_purchases").to_numpy().sum()
        ),
        "one_time_buyers_over_a_year_ago_alive": float(
            p_alive[(table.column("frequency").to_numpy() == 0) & ~recent].mean()
        )
        if ((table.column("frequency").to_numpy() == 0) & ~recent).any()
        else None,
    }


def _cohort_facts(cohorts: CohortRetention) -> dict[str, Any]:
    rates = cohorts.rates
    if rates.shape[1] <= COHORT_MONTH:
        return {"month": COHORT_MONTH, "latest_cohort": None}
    observed = ~np.isnan(rates[:, COHORT_MONTH])
    if not observed.any():
        return {"month": COHORT_MONTH, "latest_cohort": None}
    latest = int(np.flatnonzero(observed)[-1])
    earlier = rates[:latest, COHORT_MONTH]
    earlier = earlier[~np.isnan(earlier)]
    return {
        "month": COHORT_MONTH,
        "latest_cohort": cohorts.cohorts[latest].isoformat(),
        "latest_cohort_size": int(cohorts.sizes[latest]),
        "latest_rate": float(rates[latest, COHORT_MONTH]),
        "earlier_average_rate": float(earlier.mean()) if earlier.size else None,
    }


def insight_text(facts: dict[str, Any], focus: list[str]) -> str:
    """The offline writer's insights: movements, then churn and cohorts as asked."""
    lines: list[str] = []
    segments = facts["segments"]
    if "segments" in focus:
        largest = sorted(segments.items(), key=lambda item: -item[1]["customers"])[:4]
        lines.append(
            f"{fmt.count(facts['customers'])} customers: "
            + ", ".join(
                f"{name} {fmt.count(figures['customers'])} "
                f"({fmt.share(figures['revenue_share'])} of revenue)"
                for name, figures in largest
            )
            + "."
        )
    worrying = [move for move in facts["moves"] if move["to"] in WORRYING]
    moves = (worrying or facts["moves"])[:3]
    if moves:
        lines.append(
            f"Since {fmt.day(date.fromisoformat(facts['movements_since']))}: "
            + "; ".join(
                f"{fmt.count(move['customers'])} moved from {move['from']} to {move['to']}"
                for move in moves
            )
            + "."
        )
    churn = facts.get("churn")
    if churn is not None:
        lines.append(
            f"{fmt.count(churn['at_risk_customers'])} of the {fmt.count(churn['recent_customers'])}"
            f" customers who bought in the last {churn['recent_window_days']} days "
            f"({fmt.share(churn['at_risk_share'])}) are less than "
            f"{fmt.share(churn['at_risk_threshold'])} likely to still be buying "
            f"({churn['model'].upper().replace('_', '/')} model)"
            + (
                f"; they spend {fmt.money(churn['at_risk_average_order_value'], cents=True)} "
                "an order on average — worth a win-back."
                if churn["at_risk_average_order_value"] is not None
                else "."
            )
        )
    cohorts = facts.get("cohorts")
    if cohorts is not None and cohorts.get("latest_cohort"):
        cohort_month = date.fromisoformat(cohorts["latest_cohort"])
        line = (
            f"The {cohort_month:%B %Y} cohort ({fmt.count(cohorts['latest_cohort_size'])} "
            f"customers) kept {fmt.share(cohorts['latest_rate'])} buying in month "
            f"{cohorts['month']}"
        )
        if cohorts["earlier_average_rate"] is not None:
            line += f", against {fmt.share(cohorts['earlier_average_rate'])} for earlier cohorts"
        lines.append(line + ".")
    return "\n".join(lines)
