"""Typed models of the policy files; each file's top level is one model with ``extra="forbid"``."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_SLACK_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{6,})$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{6,}$")
_SLACK_USERGROUP = re.compile(r"^S[A-Z0-9]{6,}$")
_CRON_FIELDS = 5


class ScheduledJob(_Strict):
    """A cron schedule (minute hour day month day-of-week) in the team's time zone."""

    cron: str
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != _CRON_FIELDS:
            raise ValueError("a cron line with five fields, e.g. '0 9 * * mon'")
        return value


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
        if not _SLACK_CHANNEL.match(value):
            raise ValueError("a channel name like '#gtm-digest' or a channel ID like 'C0123ABCD'")
        return value


class ApprovalPolicy(_Strict):
    """``approvals.yaml``: where approvals are asked, who may decide, when to remind."""

    channels: Channels
    approver_user_ids: list[str] = Field(default_factory=list)
    approver_usergroup: str | None = None
    remind_after_hours: float = Field(gt=0)

    @field_validator("approver_user_ids")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        for user_id in value:
            if not _SLACK_USER.match(user_id):
                raise ValueError(f"Slack user IDs like 'U0123ABCD', got {user_id!r}")
        return value

    @field_validator("approver_usergroup")
    @classmethod
    def _usergroup(cls, value: str | None) -> str | None:
        if value is not None and not _SLACK_USERGROUP.match(value):
            raise ValueError("a Slack user group ID like 'S0123ABCD'")
        return value

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

    @model_validator(mode="after")
    def _consistent(self) -> WinbackPolicy:
        if self.p_alive_min > self.p_alive_max:
            raise ValueError("p_alive_min must not exceed p_alive_max")
        if min(self.discount_options) > self.max_discount:
            raise ValueError("at least one discount option within max_discount")
        return self


class SupportPolicy(_Strict):
    """``support.yaml``: when an answer goes out on its own and when a human must look."""

    confidence_threshold: float = Field(ge=0, le=1)
    top_k: int = Field(ge=1, le=20)


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


class Policies(_Strict):
    """All policy files, one field per file (the field name is the file's stem)."""

    schedule: SchedulePolicy
    approvals: ApprovalPolicy
    winback: WinbackPolicy
    support: SupportPolicy
    models: ModelsPolicy
