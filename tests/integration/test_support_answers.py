"""What the customer reads: the sentences of the right section, cited there (issue 15).

Real Chroma on disk and the real embedding model over the shipped help centre; the questions
are the issue's findings, where the old answer quoted the article's overview or the wrong
section.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import policies
from agents.support import KnowledgeBase, answer
from agents.support.answer import answer_many
from agents.support.evals import DEFAULT_DEV_SET, load_eval_set
from integrations.vectorstore import ChromaVectorStore
from policies import load_policies
from policies.schema import SupportPolicy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def policy() -> SupportPolicy:
    return load_policies(Path(policies.__file__).parent).support


@pytest.fixture(scope="module")
def kb(ingested_kb_dir: Path, policy: SupportPolicy) -> KnowledgeBase:
    return KnowledgeBase(ChromaVectorStore.persistent(ingested_kb_dir), policy.retrieval)


@pytest.mark.parametrize(
    ("question", "fact", "section"),
    [
        ("card keeps getting declined", r"billing address", "Common reasons"),
        ("down jacket clumpy after washing", r"tennis balls", "Drying"),
        ("how long until the card refund?", r"5–10 business days", "How long a refund takes"),
        ("When will I get my refund?", r"5–10 business days", "How long a refund takes"),
    ],
)
def test_the_answer_quotes_the_section_holding_the_fact_and_cites_it(
    kb: KnowledgeBase, policy: SupportPolicy, question: str, fact: str, section: str
) -> None:
    result = answer(question, kb, policy)

    assert re.search(fact, result.text), result.text
    assert [source.section for source in result.sources] == [section]
    assert result.sources[0].url in result.text


def test_the_readmes_refund_question_is_answered_directly_and_right(
    kb: KnowledgeBase, policy: SupportPolicy
) -> None:
    result = answer("how long do refunds take?", kb, policy)

    assert not result.escalate, result.reasons
    assert "5–10 business days" in result.text


NO_IDEA = 0.01
CHAT = (
    "hi there, hope you're having a good week! so I was out hiking last weekend with my sister "
    "and the weather turned, we sheltered under a rock ledge for an hour telling stories about "
    "our old dog. the trail was muddy and beautiful and we saw two elk near the lake. "
)


@pytest.mark.parametrize("length", [500, 2_000, 5_000])
def test_a_long_preamble_never_raises_the_confidence(
    kb: KnowledgeBase, policy: SupportPolicy, length: int
) -> None:
    questions = [case.question for case in load_eval_set(DEFAULT_DEV_SET) if case.answerable]
    questions = questions[::8]
    plain = answer_many(questions, kb, policy)
    preamble = (CHAT * (length // len(CHAT) + 1))[:length]
    after_a_sentence = answer_many([f"{preamble.rstrip()}.\n\n{q}" for q in questions], kb, policy)
    glued = answer_many([f"{preamble} {q}" for q in questions], kb, policy)

    threshold = policy.confidence_threshold
    for question, alone, separate, run_on in zip(
        questions, plain, after_a_sentence, glued, strict=True
    ):
        # The question asked alone is one of the message's endings: never more confident.
        # Below 1% a confidence says only "no idea".
        assert separate.confidence <= max(alone.confidence, NO_IDEA), question
        # Glued into the story's last words (the preamble cut mid-sentence), the question is no
        # ending of its own: the story may move a confidence below the threshold, but never
        # gets an answer sent that the question alone would not, nor sent more surely.
        assert run_on.confidence < threshold or run_on.confidence <= alone.confidence, question
