"""The support agent's tools: the help centre as a knowledge base, and answers with sources.

- ``articles``: the help centre's Markdown articles → passages (one per heading).
- ``kb``: passages → vector store; hybrid (vector + BM25) search.
- ``query``: the question in the help centre's words: spelling correction, the glossary.
- ``answer``: the reply (offline: the best passage quoted and cited; or a passed-in writer),
  its sources and a calibrated confidence; ``learn_from_human`` keeps a person's answer.
- ``guard``: injections, account look-ups and other companies, as a risk in the confidence.
- ``confidence``: the calibrated confidence and its fitting.
- ``evals``: the quality gate behind ``controlroom kb eval``.

Exceptions::

    SupportError
     ├── KnowledgeBaseSourceError   a help-centre Markdown file cannot be ingested
     └── EvalSetError               the evaluation set is malformed
"""

from agents.support._exceptions import EvalSetError, KnowledgeBaseSourceError, SupportError
from agents.support.answer import (
    AnswerWriter,
    Source,
    SupportAnswer,
    WrittenAnswer,
    answer,
    answer_many,
    offline_answer,
    prepare,
)
from agents.support.articles import DEFAULT_KB_DIR, Chunk, load_chunks
from agents.support.guard import Guard, GuardVerdict
from agents.support.kb import (
    COLLECTION,
    HumanAnswer,
    IngestReport,
    KnowledgeBase,
    Passage,
)
from agents.support.learning import learn_from_human, stored_human_answers

__all__ = [
    "COLLECTION",
    "DEFAULT_KB_DIR",
    "AnswerWriter",
    "Chunk",
    "EvalSetError",
    "Guard",
    "GuardVerdict",
    "HumanAnswer",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeBaseSourceError",
    "Passage",
    "Source",
    "SupportAnswer",
    "SupportError",
    "WrittenAnswer",
    "answer",
    "answer_many",
    "learn_from_human",
    "load_chunks",
    "offline_answer",
    "prepare",
    "stored_human_answers",
]
