"""The approval desk: every workflow that pauses for a person, over the services.

The CLI's ``approvals`` and ``run`` commands and the Slack buttons decide through the same desk.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from langgraph.graph import StateGraph

from agents.support.agent import SupportAgent
from controlroom.services import Services, ready_knowledge_base
from workflows.approvals import ApprovalDesk
from workflows.steps import WorkflowSpec
from workflows.support_escalation import WORKFLOW as SUPPORT
from workflows.support_escalation import SupportState, build_support_escalation
from workflows.support_escalation import check_edits as check_answer_edits
from workflows.winback import WORKFLOW as WINBACK
from workflows.winback import winback_spec


def approval_desk(built: Services) -> ApprovalDesk:
    """The desk over every workflow that pauses for approval, over ``built``'s adapters: built
    once per services as ``Services.desk`` (the CLI and the Slack app decide through it)."""
    workflows: dict[str, WorkflowSpec] = {
        WINBACK: winback_spec(
            warehouse=built.warehouse,
            state=built.state,
            sender=built.email,
            policy=built.policies.winback,
            rfm=built.policies.rfm,
            email_from=built.settings.email_from,
            one_click_url=built.unsubscribe.url_for if built.unsubscribe else None,
        ),
        SUPPORT: support_spec(built),
    }
    return ApprovalDesk(
        state=built.state,
        database_url=built.settings.effective_database_url,
        policy=built.policies.approvals,
        workflows=workflows,
        timezone=built.policies.schedule.timezone,
    )


def support_spec(built: Services) -> WorkflowSpec:
    """The support escalation; the knowledge base is opened only when a support run needs it."""

    @cache
    def agent() -> tuple[SupportAgent, Any]:
        kb = ready_knowledge_base(built)
        support = SupportAgent(
            knowledge_base=kb,
            warehouse=built.warehouse,
            model=built.llm,
            prompts=built.prompts["support"],
            policy=built.policies.support,
        )
        return support, kb

    def build() -> StateGraph[SupportState]:
        support, kb = agent()
        return build_support_escalation(
            reply=support.reply, knowledge_base=kb, store=built.state, tickets=built.tickets
        )

    return WorkflowSpec(build=build, check_edits=check_answer_edits)
