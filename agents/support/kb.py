"""The help centre as searchable passages: chunks → vector store, hybrid search.

``KnowledgeBase`` keeps the articles' passages (``articles``) in a ``VectorStore`` collection
with the human answers learnt from the approval thread, and searches by meaning and by words,
fused (``fusion``), for the question as ``query`` rewrites it (typos corrected, customers' words
glossed). Human answers live in the same collection (``kind="human"``) so that one search
ranks them against the articles; ``ingest`` never touches them, ``rebuild`` re-adds them from the
durable record the caller passes in.

A passage can be found through the customers' questions its article lists for it (doc2query,
written by hand). Each question is its own vector-store entry (``kind="question"``, ``passage``
naming the passage): the vector search ranks entries and each passage keeps its best entry's rank
and similarity (a multi-vector index). BM25 indexes each passage with its questions appended
(document expansion). A result is always a passage.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from agents.support.articles import Chunk
from agents.support.fusion import LexicalIndex, reciprocal_rank_fusion
from agents.support.query import Glossary, QueryRewriter, RewrittenQuery, load_glossary
from agents.support.revisions import PerRevision
from integrations.vectorstore import Metadata, StoredText, VectorHit, VectorStore
from policies.schema import RetrievalSettings

logger = logging.getLogger(__name__)

COLLECTION = "support-kb"

PassageKind = Literal["article", "human"]
# Entries of an article: its passages and the questions that point at them.
_ARTICLE_ENTRIES = ("article", "question")


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
    questions: int
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
        self._snapshots = PerRevision(self._snapshot_of)

    # Writing ----------------------------------------------------------------------------------

    def ingest(self, chunks: Sequence[Chunk]) -> IngestReport:
        """Upsert the articles' passages and remove article passages no longer in the source.

        Human answers are left as they are.
        """
        ids = [c.id for c in chunks]
        texts = [c.indexed_text for c in chunks]
        metadatas = [_chunk_metadata(c) for c in chunks]
        for chunk in chunks:
            asked: Metadata = {**_chunk_metadata(chunk), "kind": "question", "passage": chunk.id}
            for n, question in enumerate(chunk.questions, 1):
                ids.append(f"{chunk.id}?{n}")
                texts.append(question)
                metadatas.append(asked)
        self.store.upsert(self.collection, ids, texts, metadatas)
        current = set(ids)
        stale = [
            s
            for s in self.store.all_texts(self.collection)
            if s.metadata.get("kind") in _ARTICLE_ENTRIES and s.id not in current
        ]
        self.store.delete(self.collection, [s.id for s in stale])
        self._snapshots.clear()
        report = IngestReport(
            articles=len({c.article for c in chunks}),
            chunks=len(chunks),
            questions=len(ids) - len(chunks),
            removed=sum(s.metadata.get("kind") == "article" for s in stale),
            human_answers=self.store.count(self.collection) - len(ids),
        )
        logger.info(
            "ingested %d passages and %d questions, removed %d stale entries",
            report.chunks,
            report.questions,
            len(stale),
        )
        return report

    def rebuild(
        self, chunks: Sequence[Chunk], human_answers: Sequence[HumanAnswer]
    ) -> IngestReport:
        """Drop the collection, then ingest the articles and re-add every human answer."""
        self.store.drop(self.collection)
        self._snapshots.clear()
        report = self.ingest(chunks)
        for answer in human_answers:
            self.add_human_answer(answer)
        return replace(report, human_answers=len(human_answers))

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
        self._snapshots.clear()

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
        snapshot = self._current()
        rewritten = [snapshot.rewriter.rewrite(q) for q in queries]
        vector_hits = self.store.query(self.collection, [r.corrected for r in rewritten], depth)
        return [
            self._fuse(query, hits, snapshot, k)
            for query, hits in zip(rewritten, vector_hits, strict=True)
        ]

    def sections(self, article: str) -> list[tuple[Passage, tuple[str, ...]]]:
        """Every section of ``article`` as stored (unscored: they were not searched for), with
        the questions the article lists for it."""
        snapshot = self._current()
        return [
            (
                _passage(i, *snapshot.by_id[i], similarity=0.0, lexical=0.0, fused=0.0),
                snapshot.asked.get(i, ()),
            )
            for i in snapshot.by_article.get(article, ())
        ]

    def indexed(self) -> list[tuple[str, Passage]]:
        """Every stored text with the passage it finds (the passage's own text, or a question
        listed for it; unscored): what another index of the same passages is built from."""
        snapshot = self._current()
        found = []
        for entry_id, (text, metadata) in snapshot.by_id.items():
            passage_id = _passage_id(entry_id, metadata)
            stored = snapshot.by_id.get(passage_id)
            if stored is not None:
                passage = _passage(passage_id, *stored, similarity=0.0, lexical=0.0, fused=0.0)
                found.append((text, passage))
        return found

    def rewrite(self, query: str) -> RewrittenQuery:
        """What ``search`` looks for when asked ``query`` (typos corrected, words glossed)."""
        return self._current().rewriter.rewrite(query)

    def _fuse(
        self, query: RewrittenQuery, hits: list[VectorHit], snapshot: _Snapshot, k: int
    ) -> list[Passage]:
        settings = self.retrieval
        found = {h.id: (h.text, h.metadata) for h in hits}
        similarity: dict[str, float] = {}
        for hit in hits:  # closest first: a passage keeps its best entry's similarity
            similarity.setdefault(_passage_id(hit.id, hit.metadata), hit.similarity)
        vector_ranking = list(similarity)
        lexical_score: dict[str, float] = {}
        if settings.fusion != "rrf":
            fused = [(i, 1.0 / (settings.rrf_k + rank)) for rank, i in enumerate(vector_ranking, 1)]
        else:
            indices, scores = snapshot.lexical.top(query.lexical, settings.candidates)
            lexical_ranking = [snapshot.lexical_ids[i] for i in indices]
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
            # Entries stored after the lexical snapshot was taken (another process's writes)
            # are known from the hit itself; a question whose passage is unknown is skipped.
            stored = snapshot.by_id.get(passage_id) or found.get(passage_id)
            if stored is None:
                continue
            text, metadata = stored
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

    def _current(self) -> _Snapshot:
        """The lexical snapshot of the collection's current revision (``PerRevision``)."""
        return self._snapshots.get(self.store.revision(self.collection))

    def _snapshot_of(self) -> _Snapshot:
        """The BM25 index and the query rewriter over the stored passages."""
        stored = self.store.all_texts(self.collection)
        asked: dict[str, list[str]] = {}
        for entry in stored:
            if entry.metadata.get("kind") == "question":
                asked.setdefault(_passage_id(entry.id, entry.metadata), []).append(entry.text)
        passages = [s for s in stored if s.metadata.get("kind") != "question"]
        return _Snapshot(
            # BM25 matches a passage with its questions appended (document expansion): one
            # document per passage, so a short question cannot outscore every passage.
            lexical=LexicalIndex(["\n".join([s.text, *asked.get(s.id, [])]) for s in passages]),
            lexical_ids=tuple(s.id for s in passages),
            rewriter=QueryRewriter.for_passages([s.text for s in stored], self.glossary),
            by_id={s.id: (s.text, s.metadata) for s in stored},
            by_article=_sections_by_article(stored),
            asked={passage: tuple(questions) for passage, questions in asked.items()},
        )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What a search reads besides the vector store, for one revision of the collection."""

    lexical: LexicalIndex
    lexical_ids: tuple[str, ...]
    rewriter: QueryRewriter
    by_id: dict[str, tuple[str, Metadata]]
    by_article: dict[str, tuple[str, ...]]  # an article's section passages, as stored
    asked: dict[str, tuple[str, ...]]  # a passage's listed questions


def _sections_by_article(stored: Sequence[StoredText]) -> dict[str, tuple[str, ...]]:
    sections: dict[str, list[str]] = {}
    for entry in stored:
        if entry.metadata.get("kind") == "article":
            sections.setdefault(str(entry.metadata.get("article", "")), []).append(entry.id)
    return {article: tuple(ids) for article, ids in sections.items()}


def _passage_id(entry_id: str, metadata: Metadata) -> str:
    """The passage an entry stands for: a question's passage, else the entry itself."""
    return str(metadata.get("passage", entry_id))


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
