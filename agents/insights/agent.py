"""The Insights specialist: segments and who moved, churn risk, cohort highlights — what changed
and why it matters.

All figures come from ``rfm``, ``churn`` and ``cohorts`` over the warehouse as of its last order
date (or an earlier day a request names: "churn risk at the end of Q3"), each a ``Fact`` the
writer cites through a slot; the request only chooses which of the three the answer dwells on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import numpy as np

from agents import formatting as fmt
from agents.insights._arrow import numpy_array
from agents.insights.churn import ChurnScores, churn_scores
from agents.insights.cohorts import CohortRetention, retention_from_history, retention_heatmap_png
from agents.insights.history import history_and_totals, last_order_date
from agents.insights.rfm import RFMResult, SegmentMovements, movements_between, score_rfm
from agents.specialist import (
    Chart,
    FactSheet,
    Report,
    Specialist,
    import_now,
    slot_stems,
    write_slot_text,
)
from integrations.llm import Fact, FactUnit, LanguageModel, SlotText
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

# The moves a text may name (worrying first), and how many of them the offline text names.
MOVES_LISTED = 5
MOVES_IN_OFFLINE_TEXT = 3

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

    def warm_up(self) -> None:
        import_now("matplotlib.figure", "matplotlib.backends.backend_agg")

    def weekly_section(self) -> Report:
        """The digest's insights part: segments and who moved in the last week, churn risk, the
        cohort highlight and the retention heatmap."""
        return self.report(list(FOCI))

    def report(self, focus: list[str], *, as_of: date | None = None) -> Report:
        """Segments and who moved in the week to ``as_of`` (the last order date when None or
        later), with churn risk and cohort retention when ``focus`` names them ("churn",
        "cohorts"); ``NoOrdersError`` when there were no orders a week before ``as_of``."""
        with self._warehouse.connect() as connection:
            last = last_order_date(connection)
            as_of = last if as_of is None else min(as_of, last)
            history, (week_ago,) = history_and_totals(
                connection, as_of, (as_of - timedelta(days=7),)
            )
        with ThreadPoolExecutor(1, thread_name_prefix="insights-churn") as pool:
            # The churn fit (numpy and scipy, which let go of the GIL) beside the segments,
            # cohorts and heatmap (mostly Python): on two cores, together.
            churn_fit = (
                pool.submit(churn_scores, history, self._policy.churn) if "churn" in focus else None
            )
            now = score_rfm(history, self._policy)
            moves = movements_between(score_rfm(week_ago, self._policy), now)
            cohorts = retention_from_history(history) if "cohorts" in focus else None
            charts = (
                (Chart("Cohort retention", retention_heatmap_png(cohorts)),)
                if cohorts is not None
                else ()
            )
            churn = churn_fit.result() if churn_fit is not None else None
        facts = insight_facts(as_of, now, moves, churn, cohorts)
        sheet = insight_sheet(facts, focus)
        written = write_slot_text(
            self._model,
            self._prompts,
            "insights",
            "segment_report",
            sheet,
            offline=insight_text(sheet, facts, focus),
            scope=_scope(focus),
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
    p_alive = numpy_array(table.column("p_alive"))
    recency_days = numpy_array(rfm.customers.column("days_since_last_order"))
    # Both tables are keyed by the same customers in the same order (one customer history).
    recent = recency_days <= RECENT_DAYS
    at_risk = recent & (p_alive < AT_RISK_P_ALIVE)
    value = numpy_array(table.column("expected_average_value"))
    one_time = numpy_array(table.column("frequency")) == 0
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
            numpy_array(table.column("expected_purchases")).sum()
        ),
        "one_time_buyers_over_a_year_ago_alive": float(p_alive[one_time & ~recent].mean())
        if (one_time & ~recent).any()
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


def _listed_moves(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The moves worth naming, worrying ones first (only those when there are any)."""
    worrying = [move for move in facts["moves"] if move["to"] in WORRYING]
    return (worrying or facts["moves"])[:MOVES_LISTED]


def insight_sheet(facts: dict[str, Any], focus: list[str]) -> FactSheet:
    """The facts an insights text may cite: segment sizes (when ``focus`` has them), the moves
    worth naming, churn risk and the latest cohort when computed."""
    sheet = FactSheet()
    since = fmt.day(date.fromisoformat(facts["movements_since"]))
    sheet.add(
        Fact(name="customers", unit="count", value=facts["customers"], label="all customers"),
        Fact(name="movements_since", unit="text", text=since, label="moves counted since"),
    )
    if "segments" in focus:
        stems = slot_stems(facts["segments"], prefix="segment")
        for name, figures in facts["segments"].items():
            stem = stems[name]
            sheet.add(
                Fact(name=f"{stem}_name", unit="text", text=name, label="an RFM segment"),
                Fact(
                    name=f"{stem}_customers",
                    unit="count",
                    value=figures["customers"],
                    label=f"customers in {name}",
                ),
                Fact(
                    name=f"{stem}_customer_share",
                    unit="ratio",
                    value=figures["customer_share"],
                    decimals=0,
                    label=f"{name}'s share of customers",
                ),
                Fact(
                    name=f"{stem}_revenue_share",
                    unit="ratio",
                    value=figures["revenue_share"],
                    decimals=0,
                    label=f"{name}'s share of revenue",
                ),
            )
    for index, move in enumerate(_listed_moves(facts), start=1):
        moved = f"customers who moved from {move['from']} to {move['to']}"
        sheet.add(
            Fact(name=f"move_{index}", unit="count", value=move["customers"], label=moved),
            Fact(name=f"move_{index}_from", unit="text", text=move["from"], label="from"),
            Fact(name=f"move_{index}_to", unit="text", text=move["to"], label="to"),
        )
    if facts.get("churn") is not None:
        _add_churn(sheet, facts["churn"])
    cohorts = facts.get("cohorts")
    if cohorts is not None and cohorts.get("latest_cohort"):
        _add_cohort(sheet, cohorts)
    return sheet


# The churn facts' slots: slot, key in the churn facts, unit, decimals shown, what it is.
_CHURN_SLOTS: tuple[tuple[str, str, FactUnit, int | None, str], ...] = (
    ("churn_at_risk", "at_risk_customers", "count", None, "recent customers at risk of churning"),
    ("churn_recent_customers", "recent_customers", "count", None, "customers who bought recently"),
    ("churn_recent_window", "recent_window_days", "days", None, "what counts as recently"),
    ("churn_at_risk_share", "at_risk_share", "ratio", 0, "share of recent customers at risk"),
    ("churn_threshold", "at_risk_threshold", "ratio", 0,
     "likelihood of still buying under which a customer is at risk"),
    ("churn_at_risk_order_value", "at_risk_average_order_value", "currency", 2,
     "average order value of the customers at risk"),
    ("churn_expected_purchases", "expected_purchases_next_horizon", "count", None,
     "purchases expected from all customers over the horizon"),
    ("churn_horizon", "horizon_days", "days", None, "the horizon of the expected purchases"),
    ("churn_lapsed_buyers_alive", "one_time_buyers_over_a_year_ago_alive", "ratio", None,
     "average likelihood that a one-time buyer of over a year ago still buys"),
)  # fmt: skip


def _add_churn(sheet: FactSheet, churn: dict[str, Any]) -> None:
    sheet.add(
        Fact(
            name="churn_model",
            unit="text",
            text=churn["model"].upper().replace("_", "/"),
            label="the churn model",
        ),
        *(
            Fact(name=slot, unit=unit, value=churn[key], decimals=decimals, label=label)
            for slot, key, unit, decimals, label in _CHURN_SLOTS
        ),
    )


def _add_cohort(sheet: FactSheet, cohorts: dict[str, Any]) -> None:
    earlier = cohorts["earlier_average_rate"]
    sheet.add(
        Fact(
            name="cohort",
            unit="text",
            text=f"{date.fromisoformat(cohorts['latest_cohort']):%B %Y}",
            label="the latest cohort with this month observed",
        ),
        Fact(
            name="cohort_size",
            unit="count",
            value=cohorts["latest_cohort_size"],
            label="customers in the cohort",
        ),
        Fact(
            name="cohort_month",
            unit="count",
            value=cohorts["month"],
            label="months after the first order",
        ),
        Fact(
            name="cohort_retention",
            unit="ratio",
            value=cohorts["latest_rate"],
            decimals=0,
            label="share of the cohort still buying in that month",
        ),
        Fact(
            name="earlier_cohorts_retention",
            unit="ratio",
            value=earlier,
            decimals=0,
            label="the same share, average of earlier cohorts",
        ),
        Fact(
            name="cohort_retention_vs_earlier",
            unit="percentage_points",
            value=None if earlier is None else cohorts["latest_rate"] - earlier,
            label="the cohort's retention against earlier cohorts'",
        ),
    )


def _scope(focus: list[str]) -> str:
    """What the report covers, for the prompt (the slots are listed after it)."""
    parts = ["who moved between customer segments in the last week"]
    if "segments" in focus:
        parts.insert(0, "the largest customer segments")
    if "churn" in focus:
        parts.append("churn risk among recent customers")
    if "cohorts" in focus:
        parts.append("the latest cohort's retention against earlier cohorts")
    return ", ".join(parts)


def insight_text(sheet: FactSheet, facts: dict[str, Any], focus: list[str]) -> SlotText:
    """The offline writer's insights: segments as asked, movements, then churn and cohorts."""
    s = sheet.slot
    lines: list[str] = []
    if "segments" in focus:
        stems = slot_stems(facts["segments"], prefix="segment")
        largest = sorted(facts["segments"].items(), key=lambda item: -item[1]["customers"])[:4]
        listed = (stems[name] for name, _ in largest)
        lines.append(
            f"{s('customers')} customers: "
            + ", ".join(
                f"{s(f'{stem}_name')} {s(f'{stem}_customers')} "
                f"({s(f'{stem}_revenue_share')} of revenue)"
                for stem in listed
            )
            + "."
        )
    moves = _listed_moves(facts)[:MOVES_IN_OFFLINE_TEXT]
    if moves:
        lines.append(
            f"Since {s('movements_since')}: "
            + "; ".join(
                f"{s(f'move_{i}')} moved from {s(f'move_{i}_from')} to {s(f'move_{i}_to')}"
                for i in range(1, len(moves) + 1)
            )
            + "."
        )
    if "churn_at_risk" in sheet:
        lines.append(
            f"{s('churn_at_risk')} of the {s('churn_recent_customers')} customers who bought in "
            f"the last {s('churn_recent_window')} ({s('churn_at_risk_share')}) are less than "
            f"{s('churn_threshold')} likely to still be buying ({s('churn_model')} model)"
            + (
                f"; they spend {s('churn_at_risk_order_value')} an order on average — worth a "
                "win-back."
                if sheet["churn_at_risk_order_value"].value is not None
                else "."
            )
        )
    if "cohort" in sheet:
        line = (
            f"The {s('cohort')} cohort ({s('cohort_size')} customers) kept "
            f"{s('cohort_retention')} buying in month {s('cohort_month')}"
        )
        if sheet["earlier_cohorts_retention"].value is not None:
            line += f", against {s('earlier_cohorts_retention')} for earlier cohorts"
        lines.append(line + ".")
    return SlotText("\n".join(lines))
