"""The Finance specialist: last week's KPIs and, when asked, the revenue forecast, in words.

Every figure comes from ``weekly_kpis`` and ``forecast_revenue`` and is a ``Fact`` with its unit;
the writer (the model when configured, else the offline text) words them through slots, so code
renders every figure and a text with a figure of its own is refused.
"""

from __future__ import annotations

from typing import Any

from agents import formatting as fmt
from agents.finance.charts import revenue_chart
from agents.finance.forecast import SEASON_WEEKS, RevenueForecast, forecast_revenue
from agents.finance.kpis import LastWeekKpis, Metric, WeeklyKpis
from agents.finance.weeks import WeeklyRevenue, weekly_revenue
from agents.specialist import Chart, FactSheet, Report, Specialist, import_now, write_slot_text
from integrations.llm import Fact, FactUnit, LanguageModel, SlotText
from integrations.warehouse import Warehouse
from prompts import AgentPrompts

FORECAST_WEEKS = 8


class FinanceAgent:
    """KPIs, forecast and their story for one request."""

    name: Specialist = "finance"
    job = "KPIs for any week, the revenue forecast with its error, and what an offer would return"

    def __init__(
        self,
        *,
        warehouse: Warehouse,
        model: LanguageModel,
        prompts: AgentPrompts,
        last_week: LastWeekKpis | None = None,
    ) -> None:
        """``last_week``: the run's shared KPIs, when another specialist states them too."""
        self._warehouse = warehouse
        self._model = model
        self._prompts = prompts
        self._last_week = last_week or LastWeekKpis()

    def warm_up(self) -> None:
        import_now("scipy.optimize", "matplotlib.figure", "matplotlib.backends.backend_agg")

    def weekly_section(self) -> Report:
        """The digest's finance part: last complete week's KPIs, the forecast beside the same
        weeks a year earlier (the season repeats), and the revenue chart."""
        with self._warehouse.connect() as connection:
            kpis = self._last_week.of(connection)
            history = weekly_revenue(connection)
        forecast = forecast_revenue(history, weeks=FORECAST_WEEKS)
        facts = kpi_facts(kpis, forecast)
        last_year = same_weeks_last_year(history, forecast)
        facts["forecast"]["same_weeks_last_year"] = last_year
        facts["forecast"]["change_vs_last_year"] = (
            facts["forecast"]["total"] / last_year - 1 if last_year else None
        )
        sheet = kpi_sheet(kpis, forecast, last_year=last_year)
        written = write_slot_text(
            self._model,
            self._prompts,
            "finance",
            "kpi_report",
            sheet,
            offline=kpi_text(sheet),
            scope=_scope(sheet),
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


# WeeklyKpis field → its slot, unit, decimals shown and what it is.
_KPI_SLOTS: tuple[tuple[str, str, FactUnit, int | None, str], ...] = (
    ("revenue", "revenue", "currency", None, "revenue"),
    ("orders", "orders", "count", None, "orders"),
    ("average_order_value", "aov", "currency", 2, "average order value"),
    ("new_customers", "new_customers", "count", None, "new customers"),
    ("returning_customers", "returning_customers", "count", None, "returning customers"),
    ("repeat_rate", "repeat_rate", "ratio", 0, "repeat rate (returning / all customers)"),
    ("active_customers", "active_customers", "count", None, "customers active in the window"),
    ("marketing_spend", "marketing_spend", "currency", None, "marketing spend"),
    ("blended_roas", "blended_roas", "multiple", None, "blended ROAS (revenue / spend)"),
    ("blended_cac", "blended_cac", "currency", 2, "blended CAC (spend / new customers)"),
)


def kpi_sheet(
    kpis: WeeklyKpis, forecast: RevenueForecast | None = None, *, last_year: float | None = None
) -> FactSheet:
    """The facts a finance text may cite: each KPI, the week before, the change (in percentage
    points for a rate) and the four-week average; the forecast, and ``last_year`` (revenue of
    the forecast's weeks a year earlier) with the forecast's change on it."""
    sheet = FactSheet()
    sheet.add(
        Fact(name="week", unit="text", text=f"the week of {fmt.day(kpis.week_start)}"),
        Fact(name="four_week_average", unit="text", text="four-week average", label="its name"),
        Fact(
            name="active_window",
            unit="days",
            value=kpis.active_window_days,
            label="the window active customers ordered in",
        ),
    )
    for field_name, slot, unit, decimals, label in _KPI_SLOTS:
        metric: Metric = getattr(kpis, field_name)
        rate = unit == "ratio"
        sheet.add(
            Fact(name=slot, unit=unit, value=metric.value, decimals=decimals, label=label),
            Fact(
                name=f"{slot}_before",
                unit=unit,
                value=metric.previous,
                decimals=decimals,
                label=f"{label}, the week before",
            ),
            Fact(
                name=f"{slot}_change",
                unit="percentage_points" if rate else "ratio",
                value=metric.change if rate else metric.change_ratio,
                signed=True,
                label=f"change in {label} on the week before",
            ),
            Fact(
                name=f"{slot}_four_week_average",
                unit=unit,
                value=metric.four_week_average,
                decimals=decimals,
                label=f"{label}, average of this week and the three before",
            ),
        )
    if forecast is not None:
        _add_forecast(sheet, forecast, last_year)
    return sheet


def _add_forecast(sheet: FactSheet, forecast: RevenueForecast, last_year: float | None) -> None:
    first, last = forecast.weeks[0], forecast.weeks[-1]
    total = sum(week.revenue for week in forecast.weeks)
    sheet.add(
        Fact(name="forecast_weeks", unit="count", value=len(forecast.weeks), label="weeks ahead"),
        Fact(
            name="forecast_start",
            unit="text",
            text=fmt.day(first.week_start),
            label="the first forecast week's Monday",
        ),
        Fact(name="forecast_total", unit="currency", value=total, label="forecast, all weeks"),
        Fact(
            name="forecast_first_week",
            unit="currency",
            value=first.revenue,
            label="forecast revenue, first week",
        ),
        Fact(
            name="forecast_first_week_low",
            unit="currency",
            value=first.lower,
            label="first week, the interval's lower end",
        ),
        Fact(
            name="forecast_first_week_high",
            unit="currency",
            value=first.upper,
            label="first week, the interval's upper end",
        ),
        Fact(
            name="forecast_interval",
            unit="ratio",
            value=forecast.interval_level,
            decimals=0,
            label="the prediction interval's level",
        ),
        Fact(
            name="forecast_last_week",
            unit="currency",
            value=last.revenue,
            label="forecast revenue, last week ahead",
        ),
        Fact(name="forecast_model", unit="text", text=forecast.model.description),
        Fact(
            name="forecast_error",
            unit="ratio",
            value=forecast.backtest.mape,
            label="the model's backtest error (MAPE)",
        ),
        Fact(
            name="backtest_weeks",
            unit="count",
            value=len(forecast.backtest.weeks),
            label="weeks backtested",
        ),
        Fact(
            name="same_weeks_last_year",
            unit="currency",
            value=last_year,
            label="revenue of the forecast's weeks a year earlier",
        ),
        Fact(
            name="forecast_change_vs_last_year",
            unit="ratio",
            value=total / last_year - 1 if last_year else None,
            signed=True,
            label="the forecast's change on the same weeks last year",
        ),
    )


def _scope(sheet: FactSheet) -> str:
    """What the report covers, for the prompt (the slots are listed after it)."""
    scope = "last complete week's KPIs against the week before and the four-week average"
    if "forecast_total" in sheet:
        scope += ", and the revenue forecast for the weeks after it"
    return scope


def kpi_text(sheet: FactSheet) -> SlotText:
    """The offline writer's report: the week in three lines, then the forecast if there is one,
    and the same weeks last year when the history reaches back that far."""
    s = sheet.slot
    change = "no comparison"
    lines = [
        f"Revenue was {s('revenue')} ({s('revenue_change', missing=change)} on the week before; "
        f"{s('four_week_average')} {s('revenue_four_week_average')}) from {s('orders')} orders "
        f"at an average of {s('aov')} ({s('aov_change', missing=change)}).",
        f"{s('new_customers')} new and {s('returning_customers')} returning customers bought "
        f"(repeat rate {s('repeat_rate')}); {s('active_customers')} customers ordered in the "
        f"last {s('active_window')}.",
        f"Marketing spend was {s('marketing_spend')} "
        f"({s('marketing_spend_change', missing=change)}), for a blended ROAS of "
        f"{s('blended_roas')} and a blended CAC of {s('blended_cac')}.",
    ]
    if "forecast_total" in sheet:
        lines.append(
            f"Forecast for the {s('forecast_weeks')} weeks from {s('forecast_start')}: "
            f"{s('forecast_total')} in all, {s('forecast_first_week')} in the first week "
            f"({s('forecast_interval')} interval {s('forecast_first_week_low')}–"
            f"{s('forecast_first_week_high')}) and {s('forecast_last_week')} in the last "
            f"({s('forecast_model')}; backtest error "
            f"{s('forecast_error', missing='not measurable')} over the last "
            f"{s('backtest_weeks')} weeks)."
        )
        if sheet["forecast_change_vs_last_year"].value is not None:
            lines.append(
                f"The same {s('forecast_weeks')} weeks last year brought "
                f"{s('same_weeks_last_year')}: the forecast is "
                f"{s('forecast_change_vs_last_year')} on them."
            )
    return SlotText("\n".join(lines))
