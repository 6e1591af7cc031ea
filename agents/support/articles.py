"""The help centre's Markdown articles as passages: front matter + one passage per heading.

``load_chunks(folder)`` reads every article under the folder (``knowledge_base/README.md`` has
the convention); each ``Chunk`` carries its article, section, URL-like anchor and updated date,
the text that is embedded and matched (``indexed_text``: title and heading give a bare passage
its context) and the customers' questions the section answers, as the article's front matter
lists them under ``questions`` (each is indexed as another way to find the passage: a question
is closer in words and meaning to a question than the passage that answers it is).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

import knowledge_base
from agents.support._exceptions import KnowledgeBaseSourceError

# The help centre shipped with the code (package data of ``knowledge_base``).
DEFAULT_KB_DIR = Path(knowledge_base.__file__).parent

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
    questions: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"article:{self.article}#{anchor(self.section)}"

    @property
    def indexed_text(self) -> str:
        """The text embedded and matched: title and heading give a bare passage its context."""
        return f"{self.title} — {self.section}\n{self.text}"


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
    questions = _questions(meta.get("questions"), path)
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
                    questions=questions.pop(section, ()),
                )
            )
    if not chunks:
        raise KnowledgeBaseSourceError(f"{path}: no text after the front matter")
    if questions:
        raise KnowledgeBaseSourceError(
            f"{path}: 'questions' names sections the article does not have: "
            f"{', '.join(repr(s) for s in questions)} (use a heading as written, or 'Overview')"
        )
    return chunks


def _questions(value: object, path: Path) -> dict[str, tuple[str, ...]]:
    """The front matter's ``questions``: section heading → the customers' questions it answers."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise KnowledgeBaseSourceError(
            f"{path}: 'questions' must map a section heading to a list of questions"
        )
    questions: dict[str, tuple[str, ...]] = {}
    for section, asked in value.items():
        if not isinstance(asked, list) or not all(isinstance(q, str) and q.strip() for q in asked):
            raise KnowledgeBaseSourceError(
                f"{path}: questions for {section!r} must be a list of non-empty strings"
            )
        questions[str(section)] = tuple(q.strip() for q in asked)
    return questions


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
