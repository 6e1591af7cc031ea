"""What each Slack request runs: one workflow call over the services, blocking (call it in a
worker thread). The listeners stay about Slack; this module is the only place they reach the
workflows, with the same arguments the CLI passes, and ``trigger`` saying it came from Slack.
"""

from __future__ import annotations

from datetime import date

from controlroom import team
from controlroom.desk import approval_desk
from controlroom.services import Services
from integrations.statestore import ApprovalRecord, Decision, RunRecord, Trigger
from workflows.approvals import RunOutcome
from workflows.ask import Answer
from workflows.digest import Digest
from workflows.weekly_gtm import run_weekly_gtm
from workflows.winback import WORKFLOW as WINBACK
from workflows.winback import start_winback


def ask(services: Services, question: str, user_id: str) -> Answer:
    """Answer a free-text question through the supervisor."""
    return team.ask(services, question, started_by=user_id, trigger="command")


def weekly_digest(services: Services, user_id: str, *, trigger: Trigger = "command") -> Digest:
    """Run the weekly GTM digest now (without the spreadsheet); ``trigger`` is "schedule" when
    the clock runs it, so the run history says who asked."""
    return run_weekly_gtm(
        state=services.state,
        model=services.llm,
        team=team.team_factory(services, None),
        database_url=services.settings.effective_database_url,
        charts_dir=services.settings.var_dir / "charts",
        started_by=user_id,
        trigger=trigger,
    )


def propose_winback(services: Services, user_id: str, as_of: date | None = None) -> RunOutcome:
    """Start a win-back run; it pauses with a proposal, or ends when nobody qualifies."""
    desk = approval_desk(services)
    return start_winback(
        desk.workflows[WINBACK],
        state=services.state,
        database_url=desk.database_url,
        started_by=user_id,
        trigger="command",
        as_of=as_of,
    )


def remember_message(services: Services, run_id: str, channel_id: str, message_ts: str) -> None:
    """Record where a proposal was posted, so its decision updates that message."""
    services.state.record_approval_message(run_id, channel_id=channel_id, message_ts=message_ts)


def decide(
    services: Services,
    run_id: str,
    decision: Decision,
    user_id: str,
    *,
    reason: str | None = None,
) -> tuple[RunOutcome, ApprovalRecord]:
    """Decide a paused run through the approval desk (the CLI's desk); return the outcome and
    the approval as decided. Raises the desk's ``ApprovalError`` subclasses."""
    desk = approval_desk(services)
    outcome = desk.decide(run_id, decision, user_id, reason=reason)
    return outcome, desk.find(run_id)


def recent_runs(services: Services) -> list[RunRecord]:
    """The latest runs, for ``/controlroom status``."""
    return services.state.recent_runs(limit=10)


def pending_approvals(services: Services) -> list[ApprovalRecord]:
    """What waits for a decision, for ``/controlroom approvals``."""
    return approval_desk(services).pending()


def authorise(services: Services, run_id: str, user_id: str) -> None:
    """Refuse (and audit) someone who is not an approver, before asking them for a reason."""
    approval_desk(services).authorise(user_id, run_id)
