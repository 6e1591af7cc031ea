"""Support questions as answered: one row per support run, written when the answer is drafted,
before any person sees it, and read back by time for the weekly knowledge-gap report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.records import insert_ignoring, now, utc
from integrations.statestore.tables import support_questions

# "article": a help-centre section; "human": a person's earlier answer, kept for the knowledge base.
PassageKind = Literal["article", "human"]


@dataclass(frozen=True, slots=True)
class NearestPassage:
    """The passage retrieval ranked first for a question, and its cosine similarity to it."""

    kind: PassageKind
    article: str
    title: str
    section: str
    url: str
    similarity: float


@dataclass(frozen=True, slots=True)
class SupportQuestionRecord:
    """One support question: when, how sure its answer was, whether a person had to look and
    why (``reasons``: the guard's signal names, and the confidence's reason below the
    threshold), the passage nearest to it (None when none was recorded) and the language it was
    read in when not English (its nearest passage was found by the multilingual search)."""

    run_id: str
    asked_at: datetime
    question: str
    confidence: float
    escalated: bool
    reasons: tuple[str, ...]
    nearest: NearestPassage | None
    language: str | None = None


class SupportQuestions:
    """Support questions as answered, for the knowledge-gap report."""

    engine: Engine

    def record_support_question(
        self,
        run_id: str,
        *,
        question: str,
        confidence: float,
        escalated: bool,
        reasons: Sequence[str],
        nearest: NearestPassage | None = None,
        language: str | None = None,
        asked_at: datetime | None = None,
    ) -> None:
        """Keep a run's question and its answer's outcome; the same run again (its step re-run
        after a crash) keeps the first record."""
        values: dict[str, Any] = {
            "run_id": run_id,
            "asked_at": asked_at or now(),
            "question": question,
            "confidence": confidence,
            "escalated": escalated,
            "reasons": list(reasons),
            "language": language,
        }
        if nearest is not None:
            values |= {
                "nearest_kind": nearest.kind,
                "nearest_article": nearest.article,
                "nearest_title": nearest.title,
                "nearest_section": nearest.section,
                "nearest_url": nearest.url,
                "similarity": nearest.similarity,
            }
        with self.engine.begin() as connection:
            connection.execute(insert_ignoring(self.engine, support_questions).values(**values))

    def support_questions(self, *, since: datetime, until: datetime) -> list[SupportQuestionRecord]:
        """The questions asked from ``since`` (included) to ``until`` (excluded), oldest first."""
        table = support_questions
        query = (
            table.select()
            .where((table.c.asked_at >= since) & (table.c.asked_at < until))
            .order_by(table.c.asked_at, table.c.run_id)
        )
        with self.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query)]


def _record(row: sa.Row[Any]) -> SupportQuestionRecord:
    nearest = None
    if row.nearest_kind is not None:
        nearest = NearestPassage(
            kind=cast(PassageKind, row.nearest_kind),
            article=row.nearest_article,
            title=row.nearest_title,
            section=row.nearest_section,
            url=row.nearest_url,
            similarity=row.similarity,
        )
    return SupportQuestionRecord(
        run_id=row.run_id,
        asked_at=cast(datetime, utc(row.asked_at)),
        question=row.question,
        confidence=row.confidence,
        escalated=bool(row.escalated),
        reasons=tuple(str(reason) for reason in row.reasons),
        nearest=nearest,
        language=row.language,
    )
