"""The Finance specialist: last week's KPIs and, when asked, the revenue forecast, in words.

Every figure comes from ``weekly_kpis`` and ``forecast_revenue``; the model (when configured)
only rewrites the offline text's content in its own words, and the number guard holds it to the
facts.
"""

from __future__ import annotations

from typing import Any

from agents import formatting as fmt
from agents.finance.charts import revenue_chart
from agents.finance.forecast import SEASON_WEEKS, RevenueForecast, forecast_revenue
from agents.finance.kpis import WeeklyKpis, weekly_kpis
from agents.finance.weeks import WeeklyRevenue, weekly_revenue
from agents.specialist import Chart, Report, Specialist, write_text
from integrations.llm import LanguageModel
from integrations.warehouse import Warehouse
from prompts import AgentPrompts

FORECAST_WEEKS = 8


class FinanceAgent:
    """KPIs, forecast and their story for one request."""

    name: Specialist = "finance"
    job = "KPIs for any week, the revenue forecast with its error, and what an offer would return"

    def __init__(
        self, *, warehouse: Warehouse, model: LanguageModel, prompts: AgentPrompts
    ) -> None:
        self._warehouse = warehouse
        self._model = model
        self._prompts = prompts

    def weekly_section(self) -> Report:
        """The digest's finance part: last complete week's KPIs, the forecast beside the same
        weeks a year earlier (the season repeats), and the revenue chart."""
        with self._warehouse.connect() as connection:
            kpis = weekly_kpis(connection)
            history = weekly_revenue(connection)
        forecast = forecast_revenue(history, weeks=FORECAST_WEEKS)
        facts = kpi_facts(kpis, forecast)
        last_year = same_weeks_last_year(history, forecast)
        facts["forecast"]["same_weeks_last_year"] = last_year
        facts["forecast"]["change_vs_last_year"] = (
            facts["forecast"]["total"] / last_year - 1 if last_year else None
        )
        return self._report(kpis, history, forecast, facts)

    def _report(
        self,
        kpis: WeeklyKpis,
        history: WeeklyRevenue,
        forecast: RevenueForecast | None,
        facts: dict[str, Any],
    ) -> Report:
        offline = kpi_text(kpis, forecast)
        change = facts.get("forecast", {}).get("change_vs_last_year")
        if forecast is not None and change is not None:
            offline += (
                f"\nThe same {len(forecast.weeks)} weeks last year brought "
                f"{fmt.money(facts['forecast']['same_weeks_last_year'])}: the forecast is "
                f"{fmt.change(change)} on them."
            )
        written = write_text(
            self._model, self._prompts, "finance", "kpi_report", facts, offline=offline
        )
        chart = revenue_chart(history, highlight_week=kpis.week_start, forecast=forecast)
        return Report(
            agent="finance",
            title=f"Finance — week of {fmt.day(kpis.week_start)}",
            text=written.text,
            facts=facts,
            written_by=written.source,
            charts=(Chart("Weekly revenue", chart),),
        )


def same_weeks_last_year(history: WeeklyRevenue, forecast: RevenueForecast) -> float | None:
    """Revenue of the forecast's weeks one year (52 weeks) earlier; None when the history does
    not reach back that far."""
    indexes = [
        (week.week_start - history.first).days // 7 - SEASON_WEEKS for week in forecast.weeks
    ]
    if not indexes or min(indexes) < 0 or max(indexes) >= len(history.revenue):
        return None
    return float(history.revenue[indexes].sum())


def kpi_facts(kpis: WeeklyKpis, forecast: RevenueForecast | None = None) -> dict[str, Any]:
    """The figures a finance text may quote, by name."""
    facts: dict[str, Any] = {
        "week_start": kpis.week_start.isoformat(),
        "week_end": kpis.week_end.isoformat(),
        "active_window_days": kpis.active_window_days,
    }
    for name in (
        "revenue",
        "orders",
        "average_order_value",
        "new_customers",
        "returning_customers",
        "repeat_rate",
        "active_customers",
        "marketing_spend",
        "blended_roas",
        "blended_cac",
    ):
        metric = getattr(kpis, name)
        facts[name] = {
            "value": metric.value,
            "previous": metric.previous,
            "change_ratio": metric.change_ratio,
            "four_week_average": metric.four_week_average,
        }
    if forecast is not None:
        facts["forecast"] = {
            "model": forecast.model.description,
            "weeks": [
                {
                    "week_start": week.week_start.isoformat(),
                    "revenue": week.revenue,
                    "lower": week.lower,
                    "upper": week.upper,
                }
                for week in forecast.weeks
            ],
            "total": sum(week.revenue for week in forecast.weeks),
            "interval_level": forecast.interval_level,
            "backtest_mape": forecast.backtest.mape,
            "backtest_weeks": len(forecast.backtest.weeks),
        }
    return facts


def kpi_text(kpis: WeeklyKpis, forecast: RevenueForecast | None = None) -> str:
    """The offline writer's report: the week in four lines, then the forecast if asked."""
    revenue, orders, aov = kpis.revenue, kpis.orders, kpis.average_order_value
    lines = [
        f"Revenue was {fmt.money(revenue.value)} ({fmt.change(revenue.change_ratio)} on the week "
        f"before; four-week average {fmt.money(revenue.four_week_average)}) from "
        f"{fmt.count(orders.value)} orders at an average of {fmt.money(aov.value, cents=True)} "
        f"({fmt.change(aov.change_ratio)}).",
        f"{fmt.count(kpis.new_customers.value)} new and "
        f"{fmt.count(kpis.returning_customers.value)} returning customers bought "
        f"(repeat rate {fmt.share(kpis.repeat_rate.value)}); "
        f"{fmt.count(kpis.active_customers.value)} customers ordered in the last "
        f"{kpis.active_window_days} days.",
        f"Marketing spend was {fmt.money(kpis.marketing_spend.value)} "
        f"({fmt.change(kpis.marketing_spend.change_ratio)}), for a blended ROAS of "
        f"{fmt.times(kpis.blended_roas.value)} and a blended CAC of "
        f"{fmt.money(kpis.blended_cac.value, cents=True)}.",
    ]
    if forecast is not None:
        total = sum(week.revenue for week in forecast.weeks)
        first, last = forecast.weeks[0], forecast.weeks[-1]
        mape = forecast.backtest.mape
        lines.append(
            f"Forecast for the {len(forecast.weeks)} weeks from {fmt.day(first.week_start)}: "
            f"{fmt.money(total)} in all, {fmt.money(first.revenue)} in the first week "
            f"({fmt.share(forecast.interval_level)} interval {fmt.money(first.lower)}–"
            f"{fmt.money(first.upper)}) and {fmt.money(last.revenue)} in the last "
            f"({forecast.model.description}; backtest error "
            f"{'not measurable' if mape is None else fmt.share(mape, digits=1)} over the last "
            f"{len(forecast.backtest.weeks)} weeks)."
        )
    return "\n".join(lines)
