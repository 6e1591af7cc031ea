"""People's answers: kept in the state store, the record, and learnt by the knowledge base."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.support.kb import HumanAnswer, KnowledgeBase, human_answer_id
from integrations.statestore import StateStore


def learn_from_human(
    kb: KnowledgeBase,
    state: StateStore,
    question: str,
    text: str,
    *,
    author: str,
    at: datetime | None = None,
) -> HumanAnswer:
    """Keep a person's answer durably and add it to the knowledge base at once.

    The state store is the record (``rebuild`` re-adds from it); the same question asked again
    replaces the earlier answer. Both writes hold the state store's "knowledge_base" lock, so a
    rebuild in another process cannot read the record before this answer and drop it after.
    """
    human = HumanAnswer(
        answer_id=human_answer_id(question),
        question=question.strip(),
        answer=text.strip(),
        author=author,
        approved_at=at or datetime.now(UTC),
    )
    with state.exclusive("knowledge_base"):
        state.add_kb_answer(
            human.answer_id,
            question=human.question,
            answer=human.answer,
            author=human.author,
            approved_at=human.approved_at,
        )
        kb.add_human_answer(human)
    return human


def stored_human_answers(state: StateStore) -> list[HumanAnswer]:
    """Every human answer in the state store, oldest first, ready for ``KnowledgeBase.rebuild``."""
    return [
        HumanAnswer(
            answer_id=row.answer_id,
            question=row.question,
            answer=row.answer,
            author=row.author,
            approved_at=row.approved_at,
        )
        for row in state.kb_answers()
    ]
