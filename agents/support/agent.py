"""The Support specialist: answers from the help centre with sources and a confidence, and
support volume when the team asks about tickets.

With a language model configured, ``ModelAnswerWriter`` writes a grounded answer that cites the
retrieved passages; its figures are held to the passages by the number guard, and any failure
(no model configured, among them) leaves the offline answer: the sentences of the best section
that answer the question, quoted and cited (``answer.offline_answer``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents import formatting as fmt
from agents.specialist import Report, Specialist, import_now
from agents.support._exceptions import SupportError
from agents.support.answer import SupportAnswer, WrittenAnswer, answer
from agents.support.crosslingual import encode
from agents.support.gaps import QuestionLog, weekly_gaps
from agents.support.kb import KnowledgeBase, Passage
from agents.support.tickets import TicketWeek, ticket_week
from integrations.llm import LanguageModel, LanguageModelError, check_figures
from integrations.warehouse import Warehouse
from policies.schema import SupportPolicy
from prompts import AgentPrompts

logger = logging.getLogger(__name__)


class GroundedAnswer(BaseModel):
    """The model's answer to a customer: its text, the passage ids it relies on, and how well
    those passages support it."""

    model_config = ConfigDict(extra="forbid")

    answer: str
    cited: list[str] = Field(description="ids of the passages the answer relies on")
    supported: float = Field(ge=0, le=1, description="how fully the passages answer the question")


class ModelAnswerWriter:
    """An ``AnswerWriter`` over the language model; None (the offline answer stands) when the
    model fails or is not configured, or its figures are not the passages'."""

    def __init__(self, model: LanguageModel, prompts: AgentPrompts) -> None:
        self._model = model
        self._prompts = prompts

    def __call__(self, question: str, passages: Sequence[Passage]) -> WrittenAnswer | None:
        rendered = "\n\n".join(f"[{p.id}] {p.title} › {p.section}\n{p.text}" for p in passages)
        prompt = self._prompts.tasks["answer"].render(question=question, passages=rendered)
        try:
            drafted = self._model.structured(
                "support", self._prompts.system, prompt, GroundedAnswer
            )
        except LanguageModelError as error:
            logger.info("support answer written offline: %s", error)
            return None
        verdict = check_figures(drafted.answer, [p.text for p in passages])
        if not verdict.passed:
            logger.warning("model answer refused by the number guard: %s", verdict.reason)
            return None
        return WrittenAnswer(
            text=drafted.answer, cited=tuple(drafted.cited), supported=drafted.supported
        )


class SupportAgent:
    """Help-centre answers, or support volume, for one request."""

    name: Specialist = "support"
    job = "answers from the help centre with sources and a confidence; support volume"

    def __init__(
        self,
        *,
        knowledge_base: KnowledgeBase | None,
        warehouse: Warehouse,
        model: LanguageModel,
        prompts: AgentPrompts,
        policy: SupportPolicy,
        questions: QuestionLog | None = None,
    ) -> None:
        self._kb = knowledge_base
        self._warehouse = warehouse
        self._writer = ModelAnswerWriter(model, prompts)
        self._policy = policy
        self._questions = questions

    @property
    def threshold(self) -> float:
        """The confidence below which a person checks an answer first (the support policy)."""
        return self._policy.confidence_threshold

    def reply(self, question: str) -> SupportAnswer:
        """The answer to one customer question, with its confidence and escalation verdict."""
        if self._kb is None:
            raise SupportError(
                "this support agent was built without the knowledge base: it reports ticket "
                "volume only"
            )
        return answer(question, self._kb, self._policy, writer=self._writer)

    def warm_up(self) -> None:
        if self._questions is not None:  # the gap report clusters the week's questions
            import_now("scipy.cluster.hierarchy", "scipy.spatial.distance")

    def weekly_section(self) -> Report:
        """The digest's support part: last complete week's tickets and escalations, with the
        week before's escalation rate to compare (no knowledge base needed); with the question
        log, the knowledge gaps of the seven days before now (topics clustered by meaning in the
        multilingual model, which reads every language the questions come in; by words if it
        fails). A gap report that fails is marked unavailable."""
        with self._warehouse.connect() as connection:
            week_start = _last_complete_week(connection)
            week = ticket_week(connection, week_start)
        facts = ticket_facts(week)
        if self._questions is not None:
            gaps = weekly_gaps(self._questions, self._policy, until=datetime.now(UTC), embed=encode)
            facts["knowledge_gaps"] = gaps.model_dump(mode="json")
        return Report(
            agent="support",
            title=f"Support — week of {fmt.day(week.week_start)}",
            text=ticket_text(week),
            facts=facts,
        )


def _last_complete_week(connection: Any) -> date:
    """The Monday of the data's last complete week (by the last order date)."""
    (last,), *_ = connection.execute("SELECT max(order_date) FROM orders").fetchall()
    week_start: date = last - timedelta(days=last.weekday())
    if (last - week_start).days < 6:  # the data's last week is not complete yet
        week_start -= timedelta(days=7)
    return week_start


def answer_text(reply: SupportAnswer, threshold: float) -> str:
    """The answer, its sources, and what happens next."""
    lines = [reply.text]
    if reply.escalate:
        lines.append(
            f"_Confidence {reply.confidence:.0%} (below {threshold:.0%}): a person will check "
            "this answer before it goes to the customer._"
        )
    else:
        lines.append(f"_Confidence {reply.confidence:.0%}._")
    return "\n".join(lines)


def ticket_facts(week: TicketWeek) -> dict[str, Any]:
    return {
        "week_start": week.week_start.isoformat(),
        "tickets": week.tickets,
        "previous_tickets": week.previous_tickets,
        "escalated": week.escalated,
        "escalation_rate": week.escalation_rate,
        "previous_escalation_rate": week.previous_escalation_rate,
        "median_hours_to_resolve": week.median_hours_to_resolve,
        "by_topic": dict(week.by_topic),
    }


def ticket_text(week: TicketWeek) -> str:
    change = week.tickets / week.previous_tickets - 1 if week.previous_tickets else None
    top = ", ".join(f"{topic.replace('_', ' ')} {n}" for topic, n in week.by_topic[:3])
    hours = week.median_hours_to_resolve
    return (
        f"{fmt.count(week.tickets)} tickets ({fmt.change(change)} on the week before); "
        f"most about {top or 'nothing yet'}. {fmt.count(week.escalated)} escalated "
        f"({fmt.share(week.escalation_rate)}); median time to resolve "
        f"{'—' if hours is None else f'{hours:.1f} hours'}."
    )
