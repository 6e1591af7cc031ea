"""The help centre as searchable passages: chunks → vector store, hybrid search.

``KnowledgeBase`` keeps the articles' passages (``articles``) in a ``VectorStore`` collection
with the human answers learnt from the approval thread, and searches by meaning and by words,
fused (``fusion``), for the question as ``query`` rewrites it (typos corrected, customers' words
glossed). Human answers live in the same collection (``kind="human"``) so that one search
ranks them against the articles; ``ingest`` never touches them, ``rebuild`` re-adds them from the
durable record the caller passes in.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from agents.support.articles import Chunk
from agents.support.fusion import LexicalIndex, reciprocal_rank_fusion
from agents.support.query import Glossary, QueryRewriter, RewrittenQuery, load_glossary
from integrations.vectorstore import Metadata, VectorHit, VectorStore
from policies.schema import RetrievalSettings

logger = logging.getLogger(__name__)

COLLECTION = "support-kb"

PassageKind = Literal["article", "human"]


@dataclass(frozen=True, slots=True)
class HumanAnswer:
    """An answer a person approved or wrote, to be matched on its question from now on."""

    answer_id: str
    question: str
    answer: str
    author: str
    approved_at: datetime

    @property
    def id(self) -> str:
        return f"human:{self.answer_id}"


@dataclass(frozen=True, slots=True)
class Passage:
    """A search result: the passage, where it comes from, and the scores that ranked it."""

    id: str
    kind: PassageKind
    article: str
    title: str
    section: str
    url: str
    text: str
    updated: str
    author: str | None
    similarity: float
    lexical: float
    fused: float


@dataclass(frozen=True, slots=True)
class IngestReport:
    articles: int
    chunks: int
    removed: int
    human_answers: int


def human_answer_id(question: str) -> str:
    """A stable id for a question: the same question asked again replaces its earlier answer."""
    normalised = " ".join(re.findall(r"[a-z0-9]+", question.lower()))
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


class KnowledgeBase:
    """The help centre and the human answers in one vector-store collection, searched hybrid."""

    def __init__(
        self,
        store: VectorStore,
        retrieval: RetrievalSettings | None = None,
        *,
        collection: str = COLLECTION,
        glossary: Glossary | None = None,
    ) -> None:
        self.store = store
        self.retrieval = retrieval or RetrievalSettings()
        self.collection = collection
        self.glossary = glossary if glossary is not None else load_glossary()
        self._lexical: LexicalIndex | None = None
        self._rewriter: QueryRewriter | None = None
        self._lexical_ids: list[str] = []
        self._by_id: dict[str, tuple[str, Metadata]] = {}

    # Writing ----------------------------------------------------------------------------------

    def ingest(self, chunks: Sequence[Chunk]) -> IngestReport:
        """Upsert the articles' passages and remove article passages no longer in the source.

        Human answers are left as they are.
        """
        self.store.upsert(
            self.collection,
            [c.id for c in chunks],
            [c.indexed_text for c in chunks],
            [_chunk_metadata(c) for c in chunks],
        )
        current = {c.id for c in chunks}
        stale = [
            s.id
            for s in self.store.all_texts(self.collection)
            if s.metadata.get("kind") == "article" and s.id not in current
        ]
        self.store.delete(self.collection, stale)
        self._lexical = None
        humans = self.store.count(self.collection) - len(chunks)
        logger.info("ingested %d passages, removed %d stale", len(chunks), len(stale))
        return IngestReport(
            articles=len({c.article for c in chunks}),
            chunks=len(chunks),
            removed=len(stale),
            human_answers=humans,
        )

    def rebuild(
        self, chunks: Sequence[Chunk], human_answers: Sequence[HumanAnswer]
    ) -> IngestReport:
        """Drop the collection, then ingest the articles and re-add every human answer."""
        self.store.drop(self.collection)
        self._lexical = None
        report = self.ingest(chunks)
        for answer in human_answers:
            self.add_human_answer(answer)
        return IngestReport(report.articles, report.chunks, report.removed, len(human_answers))

    def add_human_answer(self, answer: HumanAnswer) -> None:
        """Upsert a person's answer, matched on its question: searchable at once."""
        metadata: Metadata = {
            "kind": "human",
            "article": answer.id,
            "title": answer.question,
            "section": "Answer from the support team",
            "url": f"/help/answers/{answer.answer_id}",
            "updated": answer.approved_at.date().isoformat(),
            "author": answer.author,
            "approved_at": answer.approved_at.isoformat(),
        }
        self.store.upsert(
            self.collection,
            [answer.id],
            [f"{answer.question}\n{answer.answer}"],
            [metadata],
            embed_texts=[answer.question],
        )
        self._lexical = None

    # Reading ----------------------------------------------------------------------------------

    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first."""
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int) -> list[list[Passage]]:
        """``search`` for several queries with one batched embedding call.

        Each query is rewritten first (``query``): the corrected question is embedded, the
        corrected question plus the glossary's words is matched by BM25.
        """
        settings = self.retrieval
        depth = max(k, settings.candidates)
        lexical, rewriter = self._indexes()
        rewritten = [rewriter.rewrite(q) for q in queries]
        vector_hits = self.store.query(self.collection, [r.corrected for r in rewritten], depth)
        return [
            self._fuse(query, hits, lexical if settings.fusion == "rrf" else None, k)
            for query, hits in zip(rewritten, vector_hits, strict=True)
        ]

    def rewrite(self, query: str) -> RewrittenQuery:
        """What ``search`` looks for when asked ``query`` (typos corrected, words glossed)."""
        return self._indexes()[1].rewrite(query)

    def _fuse(
        self, query: RewrittenQuery, hits: list[VectorHit], lexical: LexicalIndex | None, k: int
    ) -> list[Passage]:
        settings = self.retrieval
        similarity = {h.id: h.similarity for h in hits}
        texts = {h.id: (h.text, h.metadata) for h in hits}
        vector_ranking = [h.id for h in hits]
        lexical_score: dict[str, float] = {}
        if lexical is None:
            fused = [(i, 1.0 / (settings.rrf_k + rank)) for rank, i in enumerate(vector_ranking, 1)]
        else:
            indices, scores = lexical.top(query.lexical, settings.candidates)
            lexical_ranking = [self._lexical_ids[i] for i in indices]
            lexical_score = dict(zip(lexical_ranking, map(float, scores), strict=True))
            fused = reciprocal_rank_fusion(
                [vector_ranking, lexical_ranking],
                [settings.vector_weight, settings.lexical_weight],
                k=settings.rrf_k,
            )
        floor = min(similarity.values(), default=0.0)
        passages: list[Passage] = []
        per_article: dict[str, int] = {}
        for passage_id, score in fused:
            if len(passages) == k:
                break
            text, metadata = texts.get(passage_id) or self._by_id[passage_id]
            article = str(metadata.get("article", passage_id))
            if per_article.get(article, 0) >= settings.max_per_article:
                continue
            per_article[article] = per_article.get(article, 0) + 1
            passages.append(
                _passage(
                    passage_id,
                    text,
                    metadata,
                    # A passage found by words alone ranked below every vector candidate: its
                    # similarity is at most the weakest candidate's.
                    similarity=similarity.get(passage_id, floor),
                    lexical=lexical_score.get(passage_id, 0.0),
                    fused=score,
                )
            )
        return passages

    def _indexes(self) -> tuple[LexicalIndex, QueryRewriter]:
        """The BM25 index and the query rewriter over the stored passages, built once."""
        if self._lexical is None or self._rewriter is None:
            stored = self.store.all_texts(self.collection)
            texts = [s.text for s in stored]
            self._lexical_ids = [s.id for s in stored]
            self._by_id = {s.id: (s.text, s.metadata) for s in stored}
            self._lexical = LexicalIndex(texts)
            self._rewriter = QueryRewriter.for_passages(texts, self.glossary)
        return self._lexical, self._rewriter


def _chunk_metadata(chunk: Chunk) -> Metadata:
    return {
        "kind": "article",
        "article": chunk.article,
        "title": chunk.title,
        "category": chunk.category,
        "section": chunk.section,
        "url": chunk.url,
        "updated": chunk.updated.isoformat(),
    }


def _passage(
    passage_id: str,
    text: str,
    metadata: Metadata,
    *,
    similarity: float,
    lexical: float,
    fused: float,
) -> Passage:
    kind: PassageKind = "human" if metadata.get("kind") == "human" else "article"
    author = metadata.get("author")
    return Passage(
        id=passage_id,
        kind=kind,
        article=str(metadata.get("article", "")),
        title=str(metadata.get("title", "")),
        section=str(metadata.get("section", "")),
        url=str(metadata.get("url", "")),
        text=_shown_text(text, metadata, kind),
        updated=str(metadata.get("updated", "")),
        author=None if author is None else str(author),
        similarity=similarity,
        lexical=lexical,
        fused=fused,
    )


def _shown_text(text: str, metadata: Metadata, kind: PassageKind) -> str:
    # Stored text carries the title/question line that helps matching; a reader wants the body.
    first, _, rest = text.partition("\n")
    if kind == "human" or first.startswith(f"{metadata.get('title', '')} — "):
        return rest.strip() or text
    return text
