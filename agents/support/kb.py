"""The help centre as searchable passages: Markdown → chunks → vector store, hybrid search.

``load_chunks(folder)`` reads the articles (front matter + one passage per heading, see
``knowledge_base/README.md``); ``KnowledgeBase`` keeps them in a ``VectorStore`` collection with
the human answers learnt from the approval thread, and searches by meaning and by words, fused
(``fusion``). Human answers live in the same collection (``kind="human"``) so that one search
ranks them against the articles; ``ingest`` never touches them, ``rebuild`` re-adds them from the
durable record the caller passes in.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import yaml

from agents.support._exceptions import KnowledgeBaseSourceError
from agents.support.fusion import LexicalIndex, reciprocal_rank_fusion
from integrations.vectorstore import Metadata, VectorHit, VectorStore
from policies.schema import RetrievalSettings

logger = logging.getLogger(__name__)

COLLECTION = "support-kb"
# The repository's help centre; a source checkout or an editable install finds it here.
DEFAULT_KB_DIR = Path(__file__).resolve().parents[2] / "knowledge_base"

PassageKind = Literal["article", "human"]
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage of one article: what is embedded, shown and cited."""

    article: str
    title: str
    category: str
    section: str
    url: str
    updated: date
    text: str

    @property
    def id(self) -> str:
        return f"article:{self.article}#{anchor(self.section)}"

    @property
    def indexed_text(self) -> str:
        """The text embedded and matched: title and heading give a bare passage its context."""
        return f"{self.title} — {self.section}\n{self.text}"


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


def anchor(heading: str) -> str:
    """A heading's URL anchor: lower case, runs of other characters as one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def parse_article(path: Path, root: Path) -> list[Chunk]:
    """The passages of one Markdown article (front matter + a passage per heading)."""
    raw = path.read_text(encoding="utf-8")
    found = _FRONT_MATTER.match(raw)
    if found is None:
        raise KnowledgeBaseSourceError(
            f"{path}: expected front matter between '---' lines (title, category, updated)"
        )
    try:
        meta = yaml.safe_load(found.group(1)) or {}
    except yaml.YAMLError as error:
        raise KnowledgeBaseSourceError(
            f"{path}: front matter is not valid YAML ({error})"
        ) from None
    missing = [key for key in ("title", "category", "updated") if not meta.get(key)]
    if missing:
        raise KnowledgeBaseSourceError(f"{path}: front matter lacks {', '.join(missing)}")
    updated = meta["updated"]
    if not isinstance(updated, date):
        raise KnowledgeBaseSourceError(f"{path}: 'updated' must be a date like 2026-09-14")
    slug = path.stem
    category = str(meta["category"])
    url = f"/help/{category}/{slug}"
    title = str(meta["title"])
    sections: list[tuple[str, list[str]]] = [("Overview", [])]
    for line in raw[found.end() :].splitlines():
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) == 1:
            continue  # a "# Title" line repeats the front matter's title
        if heading:
            sections.append((heading.group(2), []))
        else:
            sections[-1][1].append(line)
    chunks = []
    for section, lines in sections:
        text = "\n".join(lines).strip()
        if text:
            chunks.append(
                Chunk(
                    article=slug,
                    title=title,
                    category=category,
                    section=section,
                    url=f"{url}#{anchor(section)}",
                    updated=updated,
                    text=text,
                )
            )
    if not chunks:
        raise KnowledgeBaseSourceError(f"{path}: no text after the front matter")
    return chunks


def load_chunks(folder: Path = DEFAULT_KB_DIR) -> list[Chunk]:
    """Every passage of every article under ``folder`` (README.md excluded), in path order."""
    if not folder.is_dir():
        raise KnowledgeBaseSourceError(f"{folder}: knowledge-base folder not found")
    chunks: list[Chunk] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        if path.stem in seen:
            raise KnowledgeBaseSourceError(
                f"{path}: article name '{path.stem}' is already used by {seen[path.stem]}"
            )
        seen[path.stem] = path
        chunks.extend(parse_article(path, folder))
    duplicates = _duplicate_ids(chunks)
    if duplicates:
        raise KnowledgeBaseSourceError(
            f"{folder}: two sections share a heading in one article: {', '.join(duplicates)}"
        )
    return chunks


def _duplicate_ids(chunks: Iterable[Chunk]) -> list[str]:
    seen: set[str] = set()
    duplicates = []
    for chunk in chunks:
        if chunk.id in seen:
            duplicates.append(chunk.id)
        seen.add(chunk.id)
    return duplicates


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
    ) -> None:
        self.store = store
        self.retrieval = retrieval or RetrievalSettings()
        self.collection = collection
        self._lexical: LexicalIndex | None = None
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
        """``search`` for several queries with one batched embedding call."""
        settings = self.retrieval
        depth = max(k, settings.candidates)
        vector_hits = self.store.query(self.collection, queries, depth)
        lexical = self._lexical_index() if settings.fusion == "rrf" else None
        return [
            self._fuse(query, hits, lexical, k)
            for query, hits in zip(queries, vector_hits, strict=True)
        ]

    def _fuse(
        self, query: str, hits: list[VectorHit], lexical: LexicalIndex | None, k: int
    ) -> list[Passage]:
        settings = self.retrieval
        similarity = {h.id: h.similarity for h in hits}
        texts = {h.id: (h.text, h.metadata) for h in hits}
        vector_ranking = [h.id for h in hits]
        lexical_score: dict[str, float] = {}
        if lexical is None:
            fused = [(i, 1.0 / (settings.rrf_k + rank)) for rank, i in enumerate(vector_ranking, 1)]
        else:
            indices, scores = lexical.top(query, settings.candidates)
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

    def _lexical_index(self) -> LexicalIndex:
        if self._lexical is None:
            stored = self.store.all_texts(self.collection)
            self._lexical_ids = [s.id for s in stored]
            self._by_id = {s.id: (s.text, s.metadata) for s in stored}
            self._lexical = LexicalIndex([s.text for s in stored])
        return self._lexical


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
