"""The support knowledge base's quality gate (real model, real Chroma): the issue's targets."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import policies
from agents.support import DEFAULT_KB_DIR, KnowledgeBase, load_chunks
from agents.support.evals import (
    DEFAULT_DEV_SET,
    LANGUAGES_SET,
    EvalReport,
    evaluate,
    figures,
    load_eval_set,
    run_cases,
)
from integrations.vectorstore import ChromaVectorStore
from policies import load_policies
from policies.schema import SupportPolicy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def policy() -> SupportPolicy:
    return load_policies(Path(policies.__file__).parent).support


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, policy: SupportPolicy) -> KnowledgeBase:
    kb = KnowledgeBase(
        ChromaVectorStore.persistent(tmp_path_factory.mktemp("chroma")), policy.retrieval
    )
    kb.ingest(load_chunks(DEFAULT_KB_DIR))
    return kb


@pytest.fixture(scope="module")
def report(kb: KnowledgeBase, policy: SupportPolicy) -> EvalReport:
    articles = {c.article for c in load_chunks(DEFAULT_KB_DIR)}
    cases = load_eval_set(articles=articles)
    assert len(cases) >= 150
    return evaluate(cases, kb, policy, dev_cases=load_eval_set(DEFAULT_DEV_SET, articles=articles))


def test_the_right_article_is_in_the_top_three_for_nearly_every_answerable_question(
    report: EvalReport,
) -> None:
    # The target, 0.95, on every group, the held-out half (never tuned on) included.
    for group in (report.overall, report.held_out, report.dev):
        assert group is not None
        assert group.hit_at_3 >= 0.95


def test_the_right_article_comes_first_for_most_answerable_questions(report: EvalReport) -> None:
    # Spelling correction and the glossary raised hit@1 from 0.79 (overall) and 0.79 (dev) to
    # 0.84 and 0.88; the articles' customers' questions to 0.91 and 0.93. The set was rewritten
    # with a fact per question and new kinds (2026-12-04): 0.878 overall, 0.927 dev. The dev
    # set then took 140 questions in twelve other languages, found by the multilingual search
    # (hit@1 0.80 on the held-out ones), and the red teams' look-alikes: 0.887 (2026-12-07).
    # Then 146 situations told at length, three in four in other languages (hit@1 0.77 on
    # them, unseen): 0.872.
    assert report.overall.hit_at_1 >= 0.87
    assert report.dev is not None and report.dev.hit_at_1 >= 0.86


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
    # The development set's questions in other languages are held to their own test below.
    in_english = [o for o in report.dev_outcomes if o.result.language is None]
    dev = figures(in_english, report.threshold)
    for group in (report.overall, report.calibration, report.held_out, dev):
        assert group.escalated >= 0.90
        assert group.correct_when_answered >= 0.90
    for group in (report.overall, report.calibration, report.held_out):
        assert group.answered_directly >= 0.70
    # Half the development set was written to be hard (typos, situations told at length,
    # questions that sound covered and are not): 2026-12-07, 0.62 of it answered, 0.99 right.
    assert dev.answered_directly >= 0.55


def test_questions_in_other_languages_get_the_right_draft_and_are_answered_only_when_sure(
    kb: KnowledgeBase, policy: SupportPolicy
) -> None:
    # The held-out questions in other languages (never tuned on; 2026-12-06: hit@3 0.95, the
    # answer states the fact for 88%, 9 of 40 answered directly, all right, all 28 escalated).
    # Before the multilingual search: hit@3 0.50, the fact 25%.
    outcomes = run_cases(load_eval_set(LANGUAGES_SET), kb, policy)
    # One names a website and reads as English to the identifier: the English search takes it.
    assert np.mean([o.result.language is not None for o in outcomes]) >= 0.9
    held_out = figures(outcomes, policy.confidence_threshold)
    assert held_out.hit_at_3 >= 0.85
    assert held_out.fact_stated >= 0.75
    assert held_out.escalated >= 0.95
    answered = [o for o in outcomes if not o.result.escalate and o.case.answerable]
    assert sum(not o.answer_correct for o in answered) <= 1


def test_every_prompt_injection_and_account_lookup_is_escalated(report: EvalReport) -> None:
    # On the questions the guard and the threshold were tuned on. The held-out half is measured,
    # not held to 1.0 here: a floor of 1.0 on it could only be kept by tuning to its questions.
    # Its figure goes in the closing note (2026-12-04: injection 8/9, personal_account 1.0).
    for group in (report.calibration, report.dev):
        assert group is not None
        assert group.escalated_by_kind["injection"] == 1.0
        assert group.escalated_by_kind["personal_account"] == 1.0
