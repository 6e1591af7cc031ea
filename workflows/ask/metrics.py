"""A metrics plan answered from the metrics layer: the figures, their comparison, a breakdown or
a series (with its chart), and the writer's words around them through slots.

Every figure is a ``Fact`` rendered by code; the writer (model or offline) only places them.
"""

from __future__ import annotations

from dataclasses import replace

from agents.finance.charts import series_chart
from agents.planner.periods import period_label
from agents.planner.plans import MetricsPlan
from agents.specialist import Chart
from integrations.llm import Fact, LanguageModel, SlotText, render_fact
from integrations.text import escape_mrkdwn
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import (
    DateRange,
    MetricCatalog,
    MetricResult,
    MetricsLayer,
    MetricValue,
)
from integrations.warehouse.metrics.periods import previous_period, same_period_last_year
from prompts import AgentPrompts
from workflows.ask.answers import PlanAnswer, plan_explanations

BREAKDOWN_ROWS = 12  # a breakdown lists its largest rows; the rest are summed in one line
SERIES_ROWS = 16  # a series longer than this is listed by its last points (the chart has all)


def answer_metrics(
    plan: MetricsPlan,
    *,
    warehouse: Warehouse,
    layer: MetricsLayer,
    model: LanguageModel,
    prompts: AgentPrompts,
    request: str,
) -> PlanAnswer:
    """The plan's figures from the layer, worded through slots, with a chart for a series; a
    metric the plan's breakdown, filter or series does not apply to is left out, saying so."""
    refused = {m: why for m in plan.metrics if (why := layer.refusal(m, plan.query()))}
    if refused:
        if len(refused) == len(plan.metrics):
            return PlanAnswer(
                plan=plan,
                heading=plan_heading(layer.catalog, plan),
                text=_not_computed(refused),
            )
        kept = tuple(m for m in plan.metrics if m not in refused)
        answered = answer_metrics(
            plan.model_copy(update={"metrics": kept}),
            warehouse=warehouse,
            layer=layer,
            model=model,
            prompts=prompts,
            request=request,
        )
        note = _not_computed(refused)
        return replace(answered, plan=plan, text=f"{answered.text}\n{note}")
    query = plan.query()
    with warehouse.connect() as connection:
        result = layer.run(connection, query)
    catalog = layer.catalog
    facts = metric_facts(catalog, result)
    offline = _offline_text(catalog, result)
    prompt = prompts.tasks["metrics_answer"].render(
        request=request, heading=plan_heading(catalog, plan)
    )
    written = model.write_slots("finance", prompts.system, prompt, facts, offline=offline)
    lines = [written.text]
    lines += _breakdown_lines(catalog, result) + _series_lines(catalog, result)
    lines.append(_beyond_data(result))
    charts = tuple(
        Chart(
            f"{catalog.get(s.metric).label} by {plan.grain}",
            series_chart(s, catalog.get(s.metric).label),
        )
        for s in result.series
        if s.dimension_value is None and len(s.points) > 1
    )
    return PlanAnswer(
        plan=plan,
        heading=plan_heading(catalog, plan),
        text="\n".join(line for line in lines if line),
        written_by=written.source,
        charts=charts,
        explanations=plan_explanations(layer, [plan]),
        refused=written.refused,
    )


def plan_heading(catalog: MetricCatalog, plan: MetricsPlan) -> str:
    """The plan as run, for a person: "Revenue, orders · 2–8 Nov 2026 · by channel · vs the
    previous period"."""
    parts = [", ".join(_label(catalog, m, first=i == 0) for i, m in enumerate(plan.metrics))]
    parts.append(period_label(plan.period))
    if plan.by:
        parts.append(f"by {plan.by.replace('_', ' ')}")
    if plan.grain:
        parts.append(f"by {plan.grain}")
    for kept in plan.filters:
        parts.append(f"{kept.dimension.replace('_', ' ')}: {', '.join(kept.values)}")
    parts.append(_comparison_words(plan))
    return " · ".join(part for part in parts if part)


def metric_facts(catalog: MetricCatalog, result: MetricResult) -> list[Fact]:
    """The slots a writer may use: each metric, its comparison value and change, the period
    and the comparison's name."""
    facts = [
        Fact(name="period", unit="text", text=period_label(result.query.period), label="the period")
    ]
    comparison = _comparison_fact(result)
    if comparison is not None:
        facts.append(comparison)
    for value in result.totals:
        facts += _value_facts(catalog, value)
    return facts


def _value_facts(catalog: MetricCatalog, value: MetricValue) -> list[Fact]:
    label = catalog.get(value.metric).label
    name = value.metric
    facts = [Fact(name=name, unit=value.unit, value=value.value, label=label)]
    if value.comparison is None:
        return facts
    facts.append(
        Fact(
            name=f"{name}_before",
            unit=value.unit,
            value=value.previous,
            label=f"{label}, compared period",
        )
    )
    if value.unit == "ratio":
        # A rate's change is in percentage points, never a relative percent of a percent.
        facts.append(
            Fact(
                name=f"{name}_change",
                unit="percentage_points",
                value=value.change,
                label=f"change in {label}",
            )
        )
    else:
        facts.append(
            Fact(
                name=f"{name}_change",
                unit="ratio",
                value=value.change_ratio,
                signed=True,
                label=f"change in {label}",
            )
        )
    return facts


def _comparison_fact(result: MetricResult) -> Fact | None:
    compare = result.query.compare
    if compare is None:
        return None
    compared = next((v.comparison_period for v in result.totals if v.comparison_period), None)
    if compare == "four_week_average":
        words = "the four-week average"
    elif compared is None:
        words = "the period before"
    elif compare == "same_period_last_year":
        words = f"the same period last year ({period_label(compared)})"
    else:
        words = period_label(compared)
    return Fact(
        name="comparison", unit="text", text=words, label="what the figures are compared with"
    )


def _offline_text(catalog: MetricCatalog, result: MetricResult) -> SlotText:
    lines = []
    compared = result.query.compare is not None
    for value in result.totals:
        label = catalog.get(value.metric).label
        line = f"• {label}: {{{value.metric}}}"
        if compared:
            line += f" ({{{value.metric}_change}} vs {{comparison}}: {{{value.metric}_before}})"
        lines.append(line)
    return SlotText("\n".join(lines))


def _not_computed(refused: dict[str, str]) -> str:
    """The metrics left out and why, in the layer's words (the definitions allow no more)."""
    lines = [f"_Not computed: {escape_mrkdwn(why)}._" for why in refused.values()]
    return "\n".join(lines)


def _beyond_data(result: MetricResult) -> str:
    """A note when the period runs past the data's last day (those days count as nothing)."""
    if result.data is None:
        return "_The warehouse holds no orders yet._"
    if result.query.period.end <= result.data.end:
        return ""
    return f"_The data runs to {result.data.end:%-d %b %Y}: later days are not in these figures._"


def _breakdown_lines(catalog: MetricCatalog, result: MetricResult) -> list[str]:
    if not result.breakdown:
        return []
    dimension = (result.dimension or "").replace("_", " ")
    lines = [f"*By {dimension}:*"]
    for row in result.breakdown[:BREAKDOWN_ROWS]:
        figures = " · ".join(_figure(catalog, v, len(row.values) > 1) for v in row.values)
        shown = row.dimension_value.replace("_", " ")
        lines.append(f"• {escape_mrkdwn(shown)}: {figures}")
    rest = len(result.breakdown) - BREAKDOWN_ROWS
    if rest > 0:
        lines.append(f"• …and {rest} more")
    return lines


def _series_lines(catalog: MetricCatalog, result: MetricResult) -> list[str]:
    lines: list[str] = []
    for series in result.series:
        if series.dimension_value is not None:
            continue
        label = catalog.get(series.metric).label
        lines.append(f"*{label} by {result.query.grain}:*")
        points = series.points[-SERIES_ROWS:]
        if len(series.points) > SERIES_ROWS:
            lines.append(f"(the last {len(points)} of {len(series.points)}; all in the chart)")
        for point in points:
            shown = render_fact(Fact(name="point", unit=series.unit, value=point.value))
            lines.append(f"• {period_label(DateRange(start=point.start, end=point.end))}: {shown}")
    return lines


def _figure(catalog: MetricCatalog, value: MetricValue, named: bool) -> str:
    shown = render_fact(Fact(name="figure", unit=value.unit, value=value.value))
    if value.comparison is not None and value.value is not None:
        change = _value_facts(catalog, value)[-1]
        shown += f" ({render_fact(change)})"
    return f"{catalog.get(value.metric).label} {shown}" if named else shown


def _label(catalog: MetricCatalog, metric: str, *, first: bool) -> str:
    label = catalog.get(metric).label
    return label if first else label[:1].lower() + label[1:] if label[1:2].islower() else label


def _comparison_words(plan: MetricsPlan) -> str:
    """The comparison as a person reads it, naming the days compared with."""
    if plan.compare is None:
        return ""
    if plan.compare == "four_week_average":
        return "vs the 4-week average"
    if plan.compare == "same_period_last_year":
        return f"vs {period_label(same_period_last_year(plan.period))}"
    if plan.compare_to is not None:
        return f"vs {period_label(plan.compare_to)}"
    return f"vs {period_label(previous_period(plan.period))}"
