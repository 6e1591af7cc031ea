"""Support escalation: answer → confidence gate → a person approves, edits or rejects → reply.

A confident answer goes to the asker at once. Below the policy's threshold (or when the guard
flags the question) the run pauses in ``ask_human`` with the draft, its confidence and sources.
Approve sends the draft, edit sends the person's text; either way the final answer is added to
the knowledge base (``learn_from_human``). Reject opens a ticket: the approval thread itself is
the ticket unless Zendesk is configured (``integrations.tickets``); Zendesk finds the ticket it
already opened for the run if the step re-runs.

``answer`` records every question with its answer's outcome (confidence, escalated, reasons,
the nearest passage; a draft given by the supervisor has no passages) for the weekly
knowledge-gap report (``agents.support.gaps``); a re-run of the step keeps the first record.

"Sent to the asker" is an ``answer_sent`` audit entry with the text; the Slack layer posts the
outcome (text, confidence, sources) in the asker's thread. Side effects that reach people live
after the interrupt, in ``deliver`` and ``open_ticket``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agents.support import KnowledgeBase, SupportAnswer, learn_from_human
from agents.support.gaps import nearest_passage
from integrations.statestore import StateStore, Trigger
from integrations.tickets import TicketDesk
from workflows.approvals import InvalidDecisionError
from workflows.proposals import AnsweredResult, AnswerProposal, Proposal, TicketResult
from workflows.steps import RunOutcome, WorkflowSpec, advance

WORKFLOW = "support"
MAX_ANSWER_CHARS = 3_000

Reply = Callable[[str], SupportAnswer]


class SupportState(TypedDict, total=False):
    run_id: str
    question: str
    asker: str
    draft: dict[str, Any]
    decision: dict[str, Any]
    outcome: dict[str, Any]


def build_support_escalation(
    *, reply: Reply, knowledge_base: KnowledgeBase, store: StateStore, tickets: TicketDesk
) -> StateGraph[SupportState]:
    """The escalation graph, uncompiled; ``reply`` answers a question (``SupportAgent.reply``)."""

    def answer(state: SupportState) -> SupportState:
        run_id, question = state["run_id"], state["question"]
        if "draft" in state:  # answered already, by the supervisor's Support agent
            draft = state["draft"]
            store.record_support_question(
                run_id,
                question=question,
                confidence=draft["confidence"],
                escalated=draft["escalate"],
                reasons=draft.get("reasons", ()),
            )
            return {}
        given = reply(question)
        store.record_support_question(
            run_id,
            question=question,
            confidence=given.confidence,
            escalated=given.escalate,
            reasons=given.reasons,
            nearest=nearest_passage(given),
            language=given.language,
        )
        return {"draft": given.as_draft()}

    def ask_human(state: SupportState) -> SupportState:
        draft = state["draft"]
        proposal = AnswerProposal(
            question=state["question"],
            asker=state["asker"],
            text=draft["text"],
            confidence=draft["confidence"],
            reasons=list(draft["reasons"]),
            sources=list(draft["sources"]),
        )
        decision = interrupt(proposal.stored())
        return {"decision": dict(decision)}

    def deliver(state: SupportState) -> SupportState:
        decision = state.get("decision")
        draft = state["draft"]
        text, sources = draft["text"], list(draft["sources"])
        reviewer = None
        if decision is not None:
            reviewer = decision["actor"]
            edited = (decision.get("edits") or {}).get("text")
            if edited:
                # The person's own words: the draft's passages no longer back them.
                text, sources = edited, []
        store.record_audit(
            "answer_sent",
            actor="controlroom",
            run_id=state["run_id"],
            to=state["asker"],
            text=text,
            reviewed_by=reviewer,
        )
        if reviewer is not None:
            learn_from_human(knowledge_base, store, state["question"], text, author=reviewer)
        answered = AnsweredResult(
            text=text, confidence=draft["confidence"], sources=sources, reviewed_by=reviewer
        )
        return {"outcome": answered.stored()}

    def open_ticket(state: SupportState) -> SupportState:
        decision = state["decision"]
        ticket = tickets.open_ticket(
            external_id=state["run_id"],
            subject=f"Support question from {state['asker']}",
            description=(
                f"Question: {state['question']}\n\nDraft answer (rejected by "
                f"{decision['actor']}: {decision.get('reason') or 'no reason given'}):\n"
                f"{state['draft']['text']}"
            ),
            requester=state["asker"],
        )
        store.record_audit(
            "ticket_opened",
            actor=decision["actor"],
            run_id=state["run_id"],
            where=ticket.system,
            ticket_id=ticket.ticket_id,
            url=ticket.url,
            reason=decision.get("reason"),
        )
        opened = TicketResult(reason=decision.get("reason"), where=ticket.system, url=ticket.url)
        return {"outcome": opened.stored()}

    graph: StateGraph[SupportState] = StateGraph(SupportState)
    graph.add_node("answer", answer)
    graph.add_node("ask_human", ask_human)
    graph.add_node("deliver", deliver)
    graph.add_node("open_ticket", open_ticket)
    graph.add_edge(START, "answer")
    graph.add_conditional_edges("answer", _gate, {"ask_human": "ask_human", "deliver": "deliver"})
    graph.add_conditional_edges(
        "ask_human", _route_decision, {"deliver": "deliver", "open_ticket": "open_ticket"}
    )
    graph.add_edge("deliver", END)
    graph.add_edge("open_ticket", END)
    return graph


def _gate(state: SupportState) -> Literal["ask_human", "deliver"]:
    return "ask_human" if state["draft"]["escalate"] else "deliver"


def _route_decision(state: SupportState) -> Literal["deliver", "open_ticket"]:
    return "open_ticket" if state["decision"]["decision"] == "rejected" else "deliver"


def check_edits(edits: Mapping[str, Any], current: Proposal) -> dict[str, Any]:
    """An edited answer: the person's text, and nothing else (whatever ``current`` said)."""
    problem = f"an edit of a support answer is its new text (1 to {MAX_ANSWER_CHARS} characters)"
    if set(edits) != {"text"}:
        raise InvalidDecisionError(problem)
    text = str(edits.get("text") or "").strip()
    if not text or len(text) > MAX_ANSWER_CHARS:
        raise InvalidDecisionError(problem, fields={"text": problem})
    return {"text": text}


def start_support(
    spec: WorkflowSpec,
    question: str,
    *,
    asker: str,
    state: StateStore,
    database_url: str,
    trigger: Trigger,
    draft: Mapping[str, Any] | None = None,
) -> RunOutcome:
    """Answer a question: sent at once when confident, else paused for a person. ``draft``
    (``SupportAnswer.as_draft`` of an answer already given to this question) is used instead of
    answering again."""
    run = state.start_run(WORKFLOW, started_by=asker, trigger=trigger)
    start: dict[str, Any] = {"run_id": run.run_id, "question": question, "asker": asker}
    if draft is not None:
        start["draft"] = dict(draft)
    return advance(
        spec,
        run.run_id,
        start,
        state=state,
        database_url=database_url,
        workflow=WORKFLOW,
    )
