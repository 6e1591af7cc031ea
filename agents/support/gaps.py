"""The week's knowledge gaps: the topics customers asked about that the help centre did not
answer well, with counts, example questions and the article each suggests writing (the weekly
digest's report, in the Support agent's section).

Which questions count: those asked in the seven days before the report that were escalated, or
answered directly with a confidence below the threshold plus ``knowledge_gaps.margin``
(``policies/support.yaml``: a near miss). A question the guard flagged as an instruction to
the bot or as a look-up of someone's records (``NOT_KNOWLEDGE``) is left out and counted
apart: no article answers it. The questions are grouped into topics and titled without a
language model (``topics``); the largest ``MAX_GAPS`` are shown. Every count is code's;
``KnowledgeGapReport`` words the report for the terminal and ``bot.blocks.gaps`` for Slack.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agents import formatting as fmt
from agents.support.answer import SupportAnswer
from agents.support.topics import (
    EMBEDDING_MERGE,
    WORDS_MERGE,
    Vectors,
    clean_text,
    covering,
    cut,
    group_questions,
    question_vectors,
    representative_order,
    suggested_title,
)
from agents.support.vectors import Embed
from integrations.statestore import NearestPassage, SupportQuestionRecord
from policies.schema import SupportPolicy

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=7)
MAX_GAPS = 5
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 160
# The guard's signals (agents/support/guard.py) for questions an article cannot answer: an
# attempt to instruct the bot, or a look-up of the asker's or another person's records.
NOT_KNOWLEDGE = frozenset(
    {
        "override",
        "role_play",
        "fake_turn",
        "prompt_leak",
        "authority",
        "coercion",
        "semantic_injection",
        "account_id",
        "account_contact",
        "account_state",
        "semantic_account",
        "other_person",
    }
)


class QuestionLog(Protocol):
    """Where the support questions are kept (the state store)."""

    def support_questions(
        self, *, since: datetime, until: datetime
    ) -> list[SupportQuestionRecord]: ...


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KnowledgeGap(_Model):
    """One topic: the article to write, how many questions it drew and how they went, a few of
    them in the customers' words, and the help-centre article nearest to them, if any."""

    title: str
    questions: int
    escalated: int
    low_confidence: int  # answered directly, below the threshold plus the margin
    examples: list[str]
    nearest: str | None = None
    nearest_url: str | None = None

    def counts_text(self, low_confidence_below: float) -> str:
        """How many and how they went: "3 questions (2 escalated, 1 answered below 85%)"."""
        parts = [f"{fmt.count(self.escalated)} escalated"] if self.escalated else []
        if self.low_confidence:
            parts.append(
                f"{fmt.count(self.low_confidence)} answered below {fmt.share(low_confidence_below)}"
            )
        return f"{_many(self.questions, 'question')} ({', '.join(parts)})"


class KnowledgeGapReport(_Model):
    """The window's knowledge gaps, largest first (at most ``MAX_GAPS``), with what was left
    out; ``status`` is "unavailable" (and ``reason`` says why) when the report failed."""

    since: datetime
    until: datetime
    low_confidence_below: float
    status: Literal["ok", "unavailable"] = "ok"
    reason: str | None = None
    asked: int = 0
    flagged: int = 0
    gaps: list[KnowledgeGap] = Field(default_factory=list)
    more_gaps: int = 0
    more_questions: int = 0
    # Why the topics were grouped by their words, when the model for meaning failed.
    by_words_because: str | None = None

    @property
    def window_text(self) -> str:
        return f"{fmt.day(self.since.date())} – {fmt.day(self.until.date())}"

    @property
    def summary(self) -> str:
        """One line: nothing to report, or how many questions and topics."""
        asked = f"{_many(self.asked, 'question')} asked {self.window_text}"
        if not self.gaps:
            return f"No knowledge gaps this week ({asked})."
        total = sum(gap.questions for gap in self.gaps) + self.more_questions
        return (
            f"{fmt.count(total)} of {asked} are knowledge gaps (escalated, or answered below "
            f"{fmt.share(self.low_confidence_below)}), in "
            f"{_many(len(self.gaps) + self.more_gaps, 'topic')}."
        )

    @property
    def left_out(self) -> str | None:
        """The topics not shown, the questions the guard flagged and, when the model for meaning
        failed, that the topics were grouped by their words, if any."""
        parts = []
        if self.more_gaps:
            parts.append(
                f"{_many(self.more_gaps, 'more topic')} "
                f"({_many(self.more_questions, 'question')}) not shown"
            )
        if self.flagged:
            parts.append(
                f"{_many(self.flagged, 'question')} the guard flagged (instructions to the bot, "
                "look-ups of someone's records) left out"
            )
        if self.by_words_because:
            parts.append(f"topics grouped by their words ({self.by_words_because})")
        return "; ".join(parts) + "." if parts else None

    def text(self) -> str:
        """The report as plain text for the terminal (the customers' words unescaped)."""
        if self.status == "unavailable":
            return f"Knowledge gaps unavailable this week ({self.reason})."
        lines = [self.summary]
        for number, gap in enumerate(self.gaps, 1):
            where = f"nearest article: {gap.nearest}" if gap.nearest else "not in the help centre"
            lines.append(
                f"{number}. Write “{gap.title}” — "
                f"{gap.counts_text(self.low_confidence_below)}; {where}"
            )
            lines += [f"   - {example}" for example in gap.examples]
        if self.left_out:
            lines.append(self.left_out)
        return "\n".join(lines)


def nearest_passage(reply: SupportAnswer) -> NearestPassage | None:
    """The passage retrieval ranked first for the reply's question, as the state store keeps it."""
    if not reply.passages:
        return None
    top = reply.passages[0]
    return NearestPassage(
        kind=top.kind,
        article=top.article,
        title=top.title,
        section=top.section,
        url=top.url,
        similarity=top.similarity,
    )


def weekly_gaps(
    log: QuestionLog, policy: SupportPolicy, *, until: datetime, embed: Embed | None = None
) -> KnowledgeGapReport:
    """The knowledge gaps of the seven days before ``until``. Never raises: a failure (the
    state store unavailable) gives an unavailable report, the traceback in the log, so the rest
    of the digest stands; ``embed`` failing gives topics grouped by words, saying so."""
    since = until - WINDOW
    below = policy.confidence_threshold + policy.knowledge_gaps.margin
    try:
        asked = log.support_questions(since=since, until=until)
        return knowledge_gaps(asked, since=since, until=until, below=below, embed=embed)
    except Exception as error:
        logger.exception("knowledge-gap report failed")
        return KnowledgeGapReport(
            since=since,
            until=until,
            low_confidence_below=below,
            status="unavailable",
            reason=f"{type(error).__name__}: {error}",
        )


def knowledge_gaps(
    asked: Sequence[SupportQuestionRecord],
    *,
    since: datetime,
    until: datetime,
    below: float,
    embed: Embed | None = None,
) -> KnowledgeGapReport:
    """The gaps among ``asked`` (every question of the window), largest first."""
    flagged = [q for q in asked if NOT_KNOWLEDGE.intersection(q.reasons)]
    weak = [
        q
        for q in asked
        if not NOT_KNOWLEDGE.intersection(q.reasons) and (q.escalated or q.confidence < below)
    ]
    background = [q.question for q in asked]
    vectors, merge, by_words_because = _vectors([q.question for q in weak], embed, background)
    gaps = [
        _gap([weak[i] for i in group], vectors[group], background)
        for group in group_questions(weak, vectors, merge=merge)
    ]
    gaps.sort(key=lambda gap: (-gap.questions, -gap.escalated, gap.title.casefold()))
    return KnowledgeGapReport(
        since=since,
        until=until,
        low_confidence_below=below,
        asked=len(asked),
        flagged=len(flagged),
        gaps=gaps[:MAX_GAPS],
        more_gaps=len(gaps[MAX_GAPS:]),
        more_questions=sum(gap.questions for gap in gaps[MAX_GAPS:]),
        by_words_because=by_words_because,
    )


def _vectors(
    questions: Sequence[str], embed: Embed | None, background: Sequence[str]
) -> tuple[Vectors, float, str | None]:
    """The questions' unit vectors and the cosine at which their topics merge: by meaning with
    ``embed``, else by words; and why by words when ``embed`` failed (logged: the report
    stands)."""
    failed = None
    if embed is not None:
        try:
            return (
                question_vectors(questions, embed=embed, background=background),
                EMBEDDING_MERGE,
                None,
            )
        except Exception as error:
            logger.exception("knowledge gaps: the model for meaning failed; grouping by words")
            failed = f"the model for meaning failed: {type(error).__name__}: {error}"
    return question_vectors(questions, embed=None, background=background), WORDS_MERGE, failed


def _gap(
    members: Sequence[SupportQuestionRecord],
    vectors: Vectors,
    background: Sequence[str],
) -> KnowledgeGap:
    questions = [member.question for member in members]
    order = representative_order(questions, vectors)
    nearest = _nearest_article(members)
    # The help centre is written in English: a topic also asked in English is titled in the
    # words of its English questions.
    titled = [i for i in order if members[i].language is None] or order
    return KnowledgeGap(
        title=suggested_title([questions[i] for i in titled], central=0, background=background),
        questions=len(members),
        escalated=sum(member.escalated for member in members),
        low_confidence=sum(not member.escalated for member in members),
        examples=[cut(clean_text(questions[i]), MAX_EXAMPLE_CHARS) for i in order[:MAX_EXAMPLES]],
        nearest=f"{nearest.title} › {nearest.section}" if nearest else None,
        nearest_url=nearest.url if nearest else None,
    )


def _nearest_article(members: Sequence[SupportQuestionRecord]) -> NearestPassage | None:
    """For a topic grouped by article, its section nearest to the most questions; else None."""
    found = [covering(member) for member in members]
    passages = [passage for passage in found if passage is not None]
    if len(passages) < len(members):
        return None
    sections = Counter(passage.section for passage in passages)
    return next(p for p in passages if p.section == sections.most_common(1)[0][0])


def _many(n: int, noun: str) -> str:
    return f"{fmt.count(n)} {noun}{'' if n == 1 else 's'}"
