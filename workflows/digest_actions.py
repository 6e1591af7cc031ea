"""What the weekly digest recommends: typed actions, chosen by fixed rules over its figures.

Each kind of action carries what its button needs (a win-back's segment, a channel to review),
so renaming a field fails in mypy and in tests rather than in Slack. ``recommended_actions``
applies ``ActionRules`` to a digest's figures, so the same week always gives the same
suggestions, and every number an action cites is one its section states
(``winback_moves_lines``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents import formatting as fmt

if TYPE_CHECKING:
    from workflows.digest import Digest, SegmentMovement


class DigestModel(BaseModel):
    """The digest's models: frozen, and no field they do not declare."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Action(DigestModel):
    """A recommended next step: its words, and (in each kind's fields) what a button needs to
    start it."""

    text: str

    @model_validator(mode="before")
    @classmethod
    def _flatten_payload(cls, data: Any) -> Any:
        # Digests stored before the actions were typed kept these fields under "payload".
        if isinstance(data, dict) and isinstance(data.get("payload"), dict):
            return {k: v for k, v in data.items() if k != "payload"} | data["payload"]
        return data


class WinbackAction(_Action):
    """Start a win-back for ``segment``, which ``customers`` moved into during the week."""

    kind: Literal["winback"] = "winback"
    segment: str
    customers: int


class ReviewSpendAction(_Action):
    """Review a paid channel returning less than the rules' minimum ROAS."""

    kind: Literal["review_spend"] = "review_spend"
    channel: str
    roas: float


class ForecastAction(_Action):
    """Plan a promotion: the coming weeks are forecast below the same weeks last year."""

    kind: Literal["forecast"] = "forecast"
    change_vs_last_year: float


class SupportAction(_Action):
    """Review the support queue: escalations rose, in these topics."""

    kind: Literal["support"] = "support"
    escalation_rate: float
    topics: list[str]


Action = Annotated[
    WinbackAction | ReviewSpendAction | ForecastAction | SupportAction,
    Field(discriminator="kind"),
]


class ActionRules(DigestModel):
    """The thresholds behind the recommended actions."""

    # Moving into these segments is worth a win-back campaign ...
    winback_segments: tuple[str, ...] = ("At Risk", "Can't Lose Them")
    # ... once at least this many customers moved in during the week.
    min_movers: int = 10
    # A paid channel returning less than this per dollar of spend needs a look (break-even at a
    # 45% gross margin is 2.2×).
    min_roas: float = 3.0
    # Forecast this far (ratio) below the same weeks last year: plan for it.
    forecast_shortfall: float = 0.0
    # Escalation rate up by at least this many points (0.05 = 5 points) on the week before.
    escalation_rise: float = 0.05


def moves_into(digest: Digest, segment: str) -> list[SegmentMovement]:
    """The week's moves into ``segment`` from another one, largest first."""
    into = [m for m in digest.movements if m.to_segment == segment and m.from_segment != segment]
    return sorted(into, key=lambda move: (-move.customers, move.from_segment))


def winback_moves_lines(digest: Digest) -> list[str]:
    """For each win-back the digest recommends, who moved into its segment: the customers'
    section states every figure its action cites."""
    lines = []
    for action in digest.recommended_actions:
        if not isinstance(action, WinbackAction):
            continue
        segment = action.segment
        into = moves_into(digest, segment)
        parts = ", ".join(f"{fmt.count(m.customers)} from {m.from_segment}" for m in into)
        total = fmt.count(sum(m.customers for m in into))
        lines.append(f"Moved into {segment} in the last week: {total} ({parts}).")
    return lines


def recommended_actions(digest: Digest, rules: ActionRules) -> list[Action]:
    """What the team should do next, by fixed rules over the digest's figures."""
    actions: list[Action] = []
    for segment in rules.winback_segments:
        moved = sum(move.customers for move in moves_into(digest, segment))
        if moved >= rules.min_movers:
            # The count is the one the customers' section states (``winback_moves_lines``); the
            # win-back it asks for is the segment's, as the button's label says.
            actions.append(
                WinbackAction(
                    text=f"{fmt.count(moved)} customers moved into {segment} — start a win-back "
                    f"for the {segment} segment",
                    segment=segment,
                    customers=moved,
                )
            )
    for channel in digest.channels:
        if channel.spend > 0 and channel.roas is not None and channel.roas < rules.min_roas:
            name = channel.channel.replace("_", " ")
            was = (
                f" (was {fmt.times(channel.previous_roas)})"
                if channel.previous_roas is not None
                else ""
            )
            actions.append(
                ReviewSpendAction(
                    text=f"{name.capitalize()} returned {fmt.times(channel.roas)}{was}, below "
                    f"{fmt.times(rules.min_roas)} — review its {fmt.money(channel.spend)} spend",
                    channel=channel.channel,
                    roas=channel.roas,
                )
            )
    forecast = digest.forecast
    if (
        forecast is not None
        and forecast.change_vs_last_year is not None
        and forecast.change_vs_last_year < -rules.forecast_shortfall
    ):
        actions.append(
            ForecastAction(
                text=f"The next {forecast.weeks} weeks are forecast "
                f"{fmt.share(-forecast.change_vs_last_year, digits=1)} below the same weeks "
                "last year — plan a promotion",
                change_vs_last_year=forecast.change_vs_last_year,
            )
        )
    support = digest.support
    if (
        support is not None
        and support.escalation_rate is not None
        and support.previous_escalation_rate is not None
        and support.escalation_rate - support.previous_escalation_rate >= rules.escalation_rise
    ):
        topics = [topic for topic, _ in support.top_topics]
        actions.append(
            SupportAction(
                text=f"Escalations rose to {fmt.share(support.escalation_rate)} of tickets "
                f"(from {fmt.share(support.previous_escalation_rate)}) — review "
                + (", ".join(t.replace("_", " ") for t in topics) or "the queue"),
                escalation_rate=support.escalation_rate,
                topics=topics,
            )
        )
    return actions
