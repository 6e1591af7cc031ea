"""Typed models of the policy files; each file's top level is one model with ``extra="forbid"``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from policies.slack_ids import check_channel, check_user_ids, check_usergroup


class _Strict(BaseModel):
    # YAML reads .nan and .inf as floats; no setting has a meaning at infinity.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


_CRON_FIELDS = 5


class ScheduledJob(_Strict):
    """A cron schedule (minute hour day month day-of-week) in the team's time zone."""

    cron: str
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _cron_line_the_scheduler_runs(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != _CRON_FIELDS:
            raise ValueError("a cron line with five fields, e.g. '0 9 * * mon'")
        if any(character.isdigit() for character in fields[-1]):
            raise ValueError(
                "day names (mon, tue, ... sun) in the day-of-week field: the scheduler "
                "(APScheduler 3) counts 0 as Monday where cron counts 0 as Sunday"
            )
        check_cron_line(value)
        return value


def check_cron_line(line: str) -> None:
    """Parse ``line`` with the scheduler's own parser and refuse a line that never fires.

    Parsing does not depend on the time zone, so UTC stands in for the team's here.
    """
    # Imported here: apscheduler costs ~0.3 s to import and most importers of policies never
    # validate a schedule.
    from apscheduler.triggers.cron import CronTrigger

    try:
        trigger = CronTrigger.from_crontab(line, timezone=UTC)
    except ValueError as error:
        raise ValueError(f"a cron line the scheduler accepts (APScheduler: {error})") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"a cron line that fires: {line!r} never fires (no such date)")


class SchedulePolicy(_Strict):
    """``schedule.yaml``: when the scheduled jobs run."""

    timezone: str
    weekly_digest: ScheduledJob
    kb_rebuild: ScheduledJob
    approval_reminders: ScheduledJob
    misfire_grace_seconds: int = Field(ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as 'America/Denver'") from None
        return value


class Channels(_Strict):
    digest: str
    approvals: str
    support_escalations: str

    @field_validator("digest", "approvals", "support_escalations")
    @classmethod
    def _channel(cls, value: str) -> str:
        return check_channel(value)


class ApprovalPolicy(_Strict):
    """``approvals.yaml``: where approvals are asked, who may decide, when to remind."""

    channels: Channels
    approver_user_ids: list[str] = Field(default_factory=list)
    approver_usergroup: str | None = None
    remind_after_hours: float = Field(gt=0)

    @field_validator("approver_user_ids")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        return check_user_ids(value)

    @field_validator("approver_usergroup")
    @classmethod
    def _usergroup(cls, value: str | None) -> str | None:
        return check_usergroup(value)

    @model_validator(mode="after")
    def _someone_decides(self) -> ApprovalPolicy:
        if not self.approver_user_ids and self.approver_usergroup is None:
            raise ValueError("at least one approver: approver_user_ids or approver_usergroup")
        return self


class WinbackPolicy(_Strict):
    """``winback.yaml``: who a win-back may target and what it may offer."""

    segments: list[str] = Field(min_length=1)
    min_days_since_last_order: int = Field(ge=1)
    p_alive_min: float = Field(ge=0, le=1)
    p_alive_max: float = Field(ge=0, le=1)
    frequency_cap_days: int = Field(ge=0)
    audience_cap: int = Field(ge=1)
    # Fractions of the order value: 0.15 = 15% off.
    discount_options: list[Annotated[float, Field(gt=0, lt=1)]] = Field(min_length=1)
    max_discount: float = Field(gt=0, lt=1)
    # Offer economics for the finance agent's ROI (agents/finance/roi.py explains the formulas).
    response_rate_by_discount: dict[float, Annotated[float, Field(ge=0, le=1)]]
    baseline_order_rate: float = Field(ge=0, le=1)
    gross_margin_rate: float = Field(gt=0, lt=1)
    cost_per_email: float = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> WinbackPolicy:
        if self.p_alive_min > self.p_alive_max:
            raise ValueError("p_alive_min must not exceed p_alive_max")
        if min(self.discount_options) > self.max_discount:
            raise ValueError("at least one discount option within max_discount")
        return self

    @model_validator(mode="after")
    def _response_rate_for_every_option(self) -> WinbackPolicy:
        missing = [d for d in self.discount_options if d not in self.response_rate_by_discount]
        if missing:
            raise ValueError(
                "a response rate in response_rate_by_discount for every discount option; "
                f"missing: {', '.join(map(str, missing))}"
            )
        return self


class RetrievalSettings(_Strict):
    """How passages are found: vector candidates, fused with BM25 by reciprocal rank (``rrf``)
    or by meaning alone (``vector``); agents/support/fusion.py has the formula."""

    fusion: Literal["vector", "rrf"] = "rrf"
    candidates: int = Field(default=20, ge=1, le=200)
    rrf_k: float = Field(default=60.0, gt=0)
    vector_weight: float = Field(default=1.0, ge=0)
    lexical_weight: float = Field(default=0.5, ge=0)
    # At most this many passages of one article in a result: room for other candidates.
    max_per_article: int = Field(default=1, ge=1, le=20)


class ConfidenceCalibration(_Strict):
    """Logistic map from the evidence to P(the answer contains what the customer needs).

    Fitted by ``controlroom kb eval --fit`` (``agents/support/confidence.py`` says what each
    feature is); the weights must not be negative, so that more evidence never lowers the
    confidence.
    """

    intercept: float = -8.0
    similarity: float = Field(default=6.0, ge=0)
    margin: float = Field(default=4.0, ge=0)
    answer_similarity: float = Field(default=4.0, ge=0)
    coverage: float = Field(default=1.0, ge=0)
    agreement: float = Field(default=0.5, ge=0)
    remainder: float = Field(default=0.0, ge=0)
    meaning: float = Field(default=0.0, ge=0)
    meaning_margin: float = Field(default=0.0, ge=0)


class SupportGuard(_Strict):
    """Names of other companies: a question about their policies is not ours to answer."""

    other_companies: list[str] = Field(default_factory=list)


class KnowledgeGapSettings(_Strict):
    """The weekly digest's knowledge-gap report (``agents/support/gaps.py``)."""

    # An answer sent with a confidence below the threshold plus this margin counts as a gap too.
    margin: float = Field(default=0.1, ge=0, le=1)


RespondTo = Literal["mention_only", "all_messages"]


class SupportAudience(_Strict):
    """Support in one place of Slack (direct messages, or a channel): the confidence an answer
    needs there to go out unreviewed, and who may ask. Unset: the file's threshold, everyone."""

    confidence_threshold: float | None = Field(default=None, ge=0, le=1)
    asker_user_ids: list[str] = Field(default_factory=list)
    asker_usergroup: str | None = None

    @field_validator("asker_user_ids")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        return check_user_ids(value)

    @field_validator("asker_usergroup")
    @classmethod
    def _usergroup(cls, value: str | None) -> str | None:
        return check_usergroup(value)

    @property
    def open_to_everyone(self) -> bool:
        return not self.asker_user_ids and self.asker_usergroup is None


class SupportChannel(SupportAudience):
    """A channel's support settings; ``respond_to``: questions are mentions of the app only, or
    every top-level message from a person (never a thread reply, a bot's message or an edit)."""

    respond_to: RespondTo = "mention_only"


def _support_channel(value: str) -> str:
    check_channel(value)
    if value.startswith("D"):
        raise ValueError("a channel, not a direct message: those are set under 'direct_messages'")
    return value


SupportChannelName = Annotated[str, AfterValidator(_support_channel)]


class SupportPolicy(_Strict):
    """``support.yaml``: when an answer goes out on its own and when a human must look, and
    where in Slack the app answers and for whom."""

    # Declared before the threshold: its validator reads this value.
    allow_unreviewed_answers: bool = False
    confidence_threshold: float = Field(ge=0, le=1)
    top_k: int = Field(ge=1, le=20)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    calibration: ConfidenceCalibration = Field(default_factory=ConfidenceCalibration)
    # The same map for questions in other languages (agents/support/crosslingual.py).
    cross_lingual: ConfidenceCalibration = Field(default_factory=ConfidenceCalibration)
    guard: SupportGuard = Field(default_factory=SupportGuard)
    knowledge_gaps: KnowledgeGapSettings = Field(default_factory=KnowledgeGapSettings)
    channels: dict[SupportChannelName, SupportChannel] = Field(default_factory=dict)
    direct_messages: SupportAudience = Field(default_factory=SupportAudience)

    @field_validator("confidence_threshold")
    @classmethod
    def _someone_reviews(cls, value: float, info: ValidationInfo) -> float:
        if value == 0 and not info.data.get("allow_unreviewed_answers", False):
            raise ValueError(
                "a threshold above 0: at 0 every answer is sent unreviewed; if that is meant, "
                "also set 'allow_unreviewed_answers: true' in this file"
            )
        return value

    @model_validator(mode="after")
    def _someone_reviews_everywhere(self) -> SupportPolicy:
        if self.allow_unreviewed_answers:
            return self
        places: dict[str, SupportAudience] = {"direct_messages": self.direct_messages}
        places.update((f"channels.{name}", place) for name, place in self.channels.items())
        for key, place in places.items():
            if place.confidence_threshold == 0:
                raise ValueError(
                    f"a threshold above 0 in '{key}.confidence_threshold': at 0 every answer "
                    "there is sent unreviewed; if that is meant, also set "
                    "'allow_unreviewed_answers: true' in this file"
                )
        return self

    @property
    def names_channels(self) -> bool:
        """Whether a channel is listed by ``#name`` (an event names its channel by ID only)."""
        return any(key.startswith("#") for key in self.channels)

    def channel(self, channel_id: str, name: str | None = None) -> SupportChannel:
        """The settings of the channel ``channel_id`` (called ``name``), listed by its ID or
        else by its ``#name``; the defaults for a channel not listed."""
        listed = self.channels.get(channel_id)
        if listed is None and name is not None:
            listed = self.channels.get(f"#{name}")
        return listed or SupportChannel()

    def threshold_in(self, place: SupportAudience) -> float:
        """The confidence an answer needs to go out unreviewed in ``place``."""
        if place.confidence_threshold is None:
            return self.confidence_threshold
        return place.confidence_threshold


AgentName = Literal["supervisor", "marketing", "finance", "insights", "support"]


class ModelChoice(_Strict):
    model: str = Field(min_length=1)
    temperature: float = Field(ge=0, le=2)
    max_tokens: int = Field(ge=1, le=32_000)
    usd_per_1k_input_tokens: float = Field(ge=0)
    usd_per_1k_output_tokens: float = Field(ge=0)


class ModelsPolicy(_Strict):
    """``models.yaml``: the language model each agent uses when one is configured."""

    timeout_seconds: float = Field(gt=0)
    agents: dict[AgentName, ModelChoice]

    @model_validator(mode="after")
    def _every_agent(self) -> ModelsPolicy:
        missing = sorted(set(AgentName.__args__) - set(self.agents))  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"a model for every agent; missing: {', '.join(missing)}")
        return self


RFM_SCORES = range(1, 6)


class SegmentRule(_Strict):
    """One rectangle of the RFM grid: customers whose R and FM scores fall in these ranges."""

    name: str = Field(min_length=1)
    r: tuple[int, int]
    fm: tuple[int, int]

    @field_validator("r", "fm")
    @classmethod
    def _score_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if not 1 <= low <= high <= 5:
            raise ValueError("a score range [low, high] with 1 <= low <= high <= 5")
        return value

    def matches(self, r: int, fm: int) -> bool:
        return self.r[0] <= r <= self.r[1] and self.fm[0] <= fm <= self.fm[1]


ChurnModelName = Literal["mbg_nbd", "bg_nbd"]


class ChurnPolicy(_Strict):
    """Which repeat-buying model gives P(alive), and how far ahead expected purchases look."""

    model: ChurnModelName = "mbg_nbd"
    horizon_days: int = Field(default=90, ge=1, le=3650)


class RFMPolicy(_Strict):
    """``rfm.yaml``: the (R score, FM score) -> segment map and the churn model settings."""

    segments: list[SegmentRule] = Field(min_length=1)
    churn: ChurnPolicy = Field(default_factory=ChurnPolicy)

    @model_validator(mode="after")
    def _every_cell_exactly_once(self) -> RFMPolicy:
        for r in RFM_SCORES:
            for fm in RFM_SCORES:
                names = [rule.name for rule in self.segments if rule.matches(r, fm)]
                if len(names) != 1:
                    found = "no rule" if not names else "rules " + ", ".join(map(repr, names))
                    raise ValueError(
                        "'segments' to cover each (R, FM) score pair from 1 to 5 exactly once; "
                        f"R={r}, FM={fm} matches {found}"
                    )
        return self

    def segment_of(self, r: int, fm: int) -> str:
        """The segment name for one cell of the grid."""
        return next(rule.name for rule in self.segments if rule.matches(r, fm))

    @property
    def segment_names(self) -> tuple[str, ...]:
        """Segment names in the order the file first lists them."""
        return tuple(dict.fromkeys(rule.name for rule in self.segments))


class Policies(_Strict):
    """All policy files, one field per file (the field name is the file's stem)."""

    schedule: SchedulePolicy
    approvals: ApprovalPolicy
    winback: WinbackPolicy
    support: SupportPolicy
    models: ModelsPolicy
    rfm: RFMPolicy
