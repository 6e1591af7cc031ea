"""The support evaluation set scores the answer a customer reads: every answerable question
carries the fact a correct answer must state, and that fact is where the question says it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from agents.support import EvalSetError
from agents.support.articles import DEFAULT_KB_DIR, Chunk, load_chunks
from agents.support.evals import DEFAULT_DEV_SET, DEFAULT_EVAL_SET, EvalCase, load_eval_set

SETS = (DEFAULT_EVAL_SET, DEFAULT_DEV_SET)


@pytest.fixture(scope="module")
def sections() -> dict[tuple[str, str], Chunk]:
    return {(c.article, c.section): c for c in load_chunks(DEFAULT_KB_DIR)}


@pytest.fixture(scope="module")
def cases(sections: dict[tuple[str, str], Chunk]) -> list[EvalCase]:
    articles = {article for article, _ in sections}
    return [case for path in SETS for case in load_eval_set(path, articles=articles)]


def _answerable(cases: list[EvalCase]) -> list[EvalCase]:
    return [c for c in cases if c.answerable]


def test_every_answerable_question_names_a_section_the_article_has(
    cases: list[EvalCase], sections: dict[tuple[str, str], Chunk]
) -> None:
    unknown = [
        (c.question, c.article, c.section)
        for c in _answerable(cases)
        if c.section is not None and (c.article, c.section) not in sections
    ]
    assert unknown == []
    assert sum(c.section is not None for c in _answerable(cases)) >= 300


def test_every_fact_is_stated_by_the_section_named_and_not_by_the_overview(
    cases: list[EvalCase], sections: dict[tuple[str, str], Chunk]
) -> None:
    # A fact the article's overview also matched would let an answer that quotes the overview
    # count as right; one its section did not match could never be answered right.
    unstated, in_overview = [], []
    for case in _answerable(cases):
        assert case.article is not None and case.fact is not None
        holding = [
            chunk
            for (article, section), chunk in sections.items()
            if article == case.article
            and (section == case.section or (case.section is None and section != "Overview"))
        ]
        if not any(case.states_fact(chunk.text) for chunk in holding):
            unstated.append((case.question, case.section, case.fact.pattern))
        overview = sections[(case.article, "Overview")]
        if case.section != "Overview" and case.states_fact(overview.text):
            in_overview.append((case.question, case.fact.pattern))
    assert unstated == []
    assert in_overview == []


def test_no_question_appears_twice_across_the_evaluation_and_development_sets() -> None:
    asked = [
        " ".join(str(item["q"]).lower().split())
        for path in SETS
        for group in yaml.safe_load(path.read_text(encoding="utf-8")).values()
        for item in group
    ]
    assert sorted({q for q in asked if asked.count(q) > 1}) == []


def test_the_new_kinds_are_in_both_halves_of_the_split() -> None:
    evaluated = load_eval_set(DEFAULT_EVAL_SET)
    for kind, at_least in (("other_person", 8), ("other_retailer", 6)):
        of_kind = [c for c in evaluated if c.kind == kind]
        assert len(of_kind) >= at_least
        assert {c.split for c in of_kind} == {"calibration", "held_out"}


def test_the_readmes_refund_questions_are_answerable_with_the_refund_timing(
    cases: list[EvalCase],
) -> None:
    by_question = {c.question: c for c in cases}
    for question in ("how long do refunds take?", "When will I get my refund?"):
        case = by_question[question]
        assert (case.article, case.section) == ("refund-timing", "How long a refund takes")
        assert case.states_fact("Your bank then takes 5–10 business days to show the credit.")
        assert not case.states_fact("Refunds go back to the payment you used.")


def test_a_fact_is_matched_case_insensitively_across_wrapped_lines(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(
        "answerable:\n"
        "  - {q: 'how long to return?', article: return-policy,"
        " section: The 60-day return window, fact: 'within 60 days'}\n",
        encoding="utf-8",
    )
    (case,) = load_eval_set(path)
    assert case.section == "The 60-day return window"
    assert case.states_fact("Returns are accepted WITHIN 60\n  days of delivery.")
    assert not case.states_fact("Returns are accepted until 31 January.")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{q: 'do gift cards expire', article: gift-cards}", "has no 'fact'"),
        ("{q: 'do gift cards expire', article: gift-cards, fact: ''}", "has no 'fact'"),
        ("{q: 'do gift cards expire', article: gift-cards, fact: 'never (expire'}", "not a valid"),
    ],
)
def test_a_file_whose_answerable_question_lacks_a_usable_fact_is_refused_naming_both(
    tmp_path: Path, entry: str, expected: str
) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(f"answerable:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=re.escape(expected)) as refused:
        load_eval_set(path)
    assert str(path) in str(refused.value)
    assert "do gift cards expire" in str(refused.value)


def test_an_unknown_kind_is_still_refused_and_the_new_kinds_are_read(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(
        "unanswerable:\n"
        "  - {q: 'what is the phone number of customer Maria Gonzalez', kind: other_person}\n"
        "  - {q: 'I bought this tent at REI, can I return it here?', kind: other_retailer}\n",
        encoding="utf-8",
    )
    assert [c.kind for c in load_eval_set(path)] == ["other_person", "other_retailer"]
    path.write_text("unanswerable:\n  - {q: 'hello', kind: gossip}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="other_person, other_retailer"):
        load_eval_set(path)
