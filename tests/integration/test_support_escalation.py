"""Support escalation through the real knowledge base: confident answers go out, others wait."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from agents.support.answer import answer, offline_answer
from agents.support.evals import DEFAULT_DEV_SET, load_eval_set
from controlroom.services import Services, ready_knowledge_base
from integrations.tickets import ZendeskTickets
from tests.fakes.local_http import LocalHTTPServer
from tests.fakes.zendesk_server import FakeZendesk
from workflows.approvals import ApprovalDesk
from workflows.proposals import AnsweredResult, AnswerProposal, TicketResult
from workflows.steps import RunOutcome
from workflows.support_escalation import WORKFLOW, start_support

APPROVER = "U0APPROVER"
UNSURE = "Can I pay for my order with a goat?"


@pytest.fixture
def desk(services: Services, ingested_kb: Path) -> ApprovalDesk:
    return services.desk


def _ask(desk: ApprovalDesk, question: str, draft: dict[str, Any] | None = None) -> RunOutcome:
    return start_support(
        desk.workflows[WORKFLOW],
        question,
        asker="U0ASKER01",
        state=desk.state,
        database_url=desk.database_url,
        trigger="cli",
        draft=draft,
    )


def test_a_confident_answer_is_sent_without_a_person(desk: ApprovalDesk) -> None:
    outcome = _ask(desk, "do gift cards expire")
    assert outcome.status == "succeeded", outcome.proposal
    assert outcome.result.reviewed_by is None
    (sent,) = desk.state.audit_entries(run_id=outcome.run_id)
    assert (sent.action, sent.detail["to"]) == ("answer_sent", "U0ASKER01")


def test_an_unsure_answer_waits_and_the_edited_text_is_sent_and_learned(
    desk: ApprovalDesk,
) -> None:
    outcome = _ask(desk, UNSURE)
    assert outcome.status == "paused"
    assert outcome.proposal is not None and outcome.proposal.question == UNSURE
    done = desk.decide(
        outcome.run_id, "edited", APPROVER, edits={"text": "No, we take cards and PayPal only."}
    )
    assert done.result == AnsweredResult(
        text="No, we take cards and PayPal only.",
        confidence=outcome.proposal.confidence,
        sources=[],
        reviewed_by=APPROVER,
    )
    (learned,) = desk.state.kb_answers()
    assert (learned.answer, learned.author) == ("No, we take cards and PayPal only.", APPROVER)
    actions = [e.action for e in desk.state.audit_entries(run_id=outcome.run_id)]
    assert actions == ["edited", "answer_sent"]


def test_a_draft_already_given_is_what_waits_for_a_person(desk: ApprovalDesk) -> None:
    draft: dict[str, Any] = {
        "text": "> We take cards and PayPal.",
        "confidence": 0.2,
        "escalate": True,
        "reasons": ["low confidence"],
        "sources": ["/help/payments/payment-methods#accepted-payment-methods"],
    }
    outcome = _ask(desk, UNSURE, draft)
    assert outcome.status == "paused"
    assert outcome.proposal == AnswerProposal(
        question=UNSURE,
        asker="U0ASKER01",
        text=draft["text"],
        confidence=draft["confidence"],
        reasons=draft["reasons"],
        sources=draft["sources"],
    )
    done = desk.decide(outcome.run_id, "approved", APPROVER)
    assert isinstance(done.result, AnsweredResult) and done.result.text == draft["text"]


def test_a_rejected_answer_becomes_a_ticket_in_the_thread(desk: ApprovalDesk) -> None:
    outcome = _ask(desk, UNSURE)
    done = desk.decide(outcome.run_id, "rejected", APPROVER, reason="needs billing team")
    assert done.result == TicketResult(
        reason="needs billing team", where="approval thread", url=None
    )
    assert desk.state.kb_answers() == []
    actions = [e.action for e in desk.state.audit_entries(run_id=outcome.run_id)]
    assert actions == ["rejected", "ticket_opened"]


def test_with_zendesk_configured_a_rejected_answer_opens_a_ticket_there(
    services: Services, ingested_kb: Path
) -> None:
    fake = FakeZendesk()
    with LocalHTTPServer(fake.route) as server:
        zendesk = ZendeskTickets(server.url, email=fake.email, api_token=fake.token)
        desk = replace(services, tickets=zendesk).desk
        outcome = _ask(desk, UNSURE)
        done = desk.decide(outcome.run_id, "rejected", APPROVER, reason="needs billing team")
    assert done.result.where == "Zendesk"
    assert done.result.url == f"{server.url}/agent/tickets/1000"
    (ticket,) = fake.tickets
    assert ticket["external_id"] == outcome.run_id
    assert UNSURE in ticket["comment"]["body"]
    opened = desk.state.audit_entries(run_id=outcome.run_id)[-1]
    assert (opened.action, opened.detail["ticket_id"]) == ("ticket_opened", "1000")


def test_what_the_workflow_sends_is_the_answer_the_evaluation_scores(
    desk: ApprovalDesk, services: Services
) -> None:
    # With no model configured (the default), the Support agent's writer writes nothing and
    # the composed answer stands: the asker reads the sentences the evaluation scores, not the
    # retrieved passage quoted whole (often its article's overview).
    kb, policy = ready_knowledge_base(services), services.policies.support
    questions = [c.question for c in load_eval_set(DEFAULT_DEV_SET) if c.answerable][:40]
    unlike_the_top_passage = 0
    for question in questions:
        outcome = _ask(desk, question)
        said = outcome.proposal or outcome.result
        assert isinstance(said, AnswerProposal | AnsweredResult)
        scored = answer(question, kb, policy)
        assert said.text == scored.text, question
        unlike_the_top_passage += scored.text != offline_answer(question, scored.passages).text
    assert unlike_the_top_passage >= 5
