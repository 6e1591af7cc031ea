"""People's answers to support questions, kept for the knowledge base."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from integrations.statestore.records import (
    KBAnswerRecord,
    StateStoreError,
    kb_answer_record,
)
from integrations.statestore.tables import kb_answers


class HumanAnswers:
    """People's answers to support questions, kept for the knowledge base."""

    engine: Engine

    def add_kb_answer(
        self, answer_id: str, *, question: str, answer: str, author: str, approved_at: datetime
    ) -> KBAnswerRecord:
        """Keep a person's answer to a question; the same ``answer_id`` again replaces it."""
        values = {
            "answer_id": answer_id,
            "question": question,
            "answer": answer,
            "author": author,
            "approved_at": approved_at,
        }
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        elif self.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        else:
            raise StateStoreError(f"unsupported database backend: {self.engine.dialect.name}")
        statement = upsert(kb_answers).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["answer_id"],
            set_={k: statement.excluded[k] for k in values if k != "answer_id"},
        )
        with self.engine.begin() as connection:
            connection.execute(statement)
            row = connection.execute(
                kb_answers.select().where(kb_answers.c.answer_id == answer_id)
            ).one()
        return kb_answer_record(row)

    def kb_answers(self) -> list[KBAnswerRecord]:
        """Every kept answer, oldest approval first."""
        query = kb_answers.select().order_by(kb_answers.c.approved_at, kb_answers.c.answer_id)
        with self.engine.connect() as connection:
            return [kb_answer_record(row) for row in connection.execute(query)]
