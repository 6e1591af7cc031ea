"""Composing an answer from a section's sentences (agents/support/compose.py), with a bag-of-words
embedding standing in for the model: which section, which sentences, which list."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from agents.support import compose
from agents.support.answer import offline_answer
from agents.support.answer_types import expected_types, mismatched, states_any
from agents.support.compose import WHOLE_SECTION_CHARS, Composer, Section, units_of
from agents.support.kb import Passage
from agents.support.time_windows import fits


def _embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    vectors = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            vectors[row, zlib.crc32(word[:5].encode()) % 256] += 1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-9, None)


def _section(heading: str, text: str, *questions: str) -> Section:
    passage = Passage(
        id=f"article:a#{heading.lower()}",
        kind="article",
        article="a",
        title="Tents",
        section=heading,
        url=f"/help/a#{heading.lower()}",
        text=text,
        updated="2026-01-01",
        author=None,
        similarity=0.0,
        lexical=0.0,
        fused=0.0,
    )
    return Section(passage, questions)


LONG = " ".join(
    [
        "Pitch the tent on flat ground away from dead branches.",
        "Stake the corners first, then raise the poles.",
        "Guy lines keep the fly taut in wind.",
        "To dry a wet tent, hang it in the shade for a day before you pack it away.",
        "Never machine wash a tent: the coating peels.",
        "Store it loose in a cotton sack, never compressed.",
        "Check the seams once a season and reseal them if water gets through.",
        "Zippers last longer when you brush grit out of them after each trip.",
        "Pack the stakes in their own bag so they cannot tear the floor.",
    ]
)


def test_a_section_is_cut_into_sentences_and_list_items_with_the_sentence_leading_the_list() -> (
    None
):
    units = units_of(
        _section(
            "Reasons",
            "A payment fails for a few reasons. Here is what to check:\n"
            "- The billing address does not match\n  your bank's.\n"
            "- The card has expired.\n\nThen try again.",
        ).passage
    )

    assert [(u.text, u.group, u.leads) for u in units] == [
        ("A payment fails for a few reasons.", None, False),
        ("Here is what to check:", None, True),
        ("The billing address does not match your bank's.", 1, False),
        ("The card has expired.", 1, False),
        ("Then try again.", None, False),
    ]


def test_a_long_section_gives_the_sentences_that_answer_not_all_of_it() -> None:
    assert len(LONG) > WHOLE_SECTION_CHARS
    composed = Composer(_embed).compose("how do I dry a wet tent", [_section("Care", LONG)])

    assert composed is not None
    assert "hang it in the shade" in composed.text
    assert "Stake the corners" not in composed.text
    assert composed.coverage == 1.0


def test_coverage_is_of_the_whole_answer_the_customer_reads_not_its_best_sentence() -> None:
    # Two sentences of a short section, quoted together: "check" and "return" are in one,
    # "refund" and "days" in the other, "inspection" in neither (nor in the heading or title).
    section = _section(
        "Timing",
        "We check every return when it arrives. The refund reaches your card 5 days later.",
    )

    composed = Composer(_embed).compose("check return refund days inspection", [section])

    assert composed is not None
    assert composed.text.count(".") == 2
    assert composed.coverage == pytest.approx(4 / 5)


def test_a_customers_word_is_covered_by_the_help_centres_word_the_glossary_gives_for_it() -> None:
    # "shop" is not in the section; with the glossary's "store" for it, the section says it.
    section = _section("In person", "Bring the item to any store with its receipt.")
    question = "can i bring it to a shop"

    plain = Composer(_embed).compose(question, [section])
    glossed = Composer(_embed).compose(question, [section], [("shop", "store")])

    assert plain is not None and glossed is not None
    assert plain.coverage == pytest.approx(1 / 2)  # "bring" is said, "shop" is not
    assert glossed.coverage == 1.0
    assert glossed.remainder == 1.0  # nothing of the question is left unsaid


def test_the_overview_loses_to_the_section_that_answers_as_well() -> None:
    overview = _section("Overview", "Our tents come with care advice.", "how do I care for tents")
    drying = _section("Drying", "Hang a wet tent in the shade to dry it.", "how to dry my tent")

    composed = Composer(_embed).compose("how do I dry my tent", [overview, drying])

    assert composed is not None and composed.section.section == "Drying"


def test_a_close_call_between_two_articles_goes_to_the_one_retrieval_ranked_first() -> None:
    question = "how do I dry a wet tent in the shade until aired"
    ranked_first = _section("Drying", "Hang a wet tent in the shade until it is dry.")
    closer = _section("Drying", "Hang a wet tent in the shade until it is dry and aired.")
    closer = Section(replace(closer.passage, id="article:b#drying", article="b"), ())
    first_alone = Composer(_embed).compose(question, [ranked_first])
    closer_alone = Composer(_embed).compose(question, [closer])
    assert first_alone is not None and closer_alone is not None
    assert closer_alone.similarity > first_alone.similarity  # a little closer to the question

    chosen = Composer(_embed).compose(question, [ranked_first, closer])
    swapped = Composer(_embed).compose(question, [closer, ranked_first])

    assert chosen is not None and chosen.section.article == "a"
    assert swapped is not None and swapped.section.article == "b"


def test_a_list_item_brings_its_whole_list_and_the_sentence_leading_it() -> None:
    text = (
        LONG + "\nIf a pole snaps, here is what to do:\n- Splint it with the repair sleeve.\n"
        "- Order a replacement section."
    )
    composed = Composer(_embed).compose(
        "pole snapped splint repair sleeve", [_section("Care", text)]
    )

    assert composed is not None
    assert composed.text.splitlines()[-3:] == [
        "If a pole snaps, here is what to do:",
        "• Splint it with the repair sleeve.",
        "• Order a replacement section.",
    ]


def test_a_how_long_question_prefers_the_sentence_that_states_a_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refunds = _section(
        "Refunds",
        " ".join(
            [
                "Your refund reaches the card you paid with once the return is checked.",
                "The refund shows on the card 3–5 business days after we check the return.",
                "Store credit refunds come as an emailed gift card instead.",
                "Orders returned to a store are refunded at the counter by the returns team.",
                "Refunded orders keep their order number in your account history.",
                "A refund for a gift goes to the person who bought it unless you say otherwise.",
                "Exchanged orders are not refunded: the new item ships once the old one is in.",
            ]
        ),
    )
    assert len(refunds.passage.text) > WHOLE_SECTION_CHARS  # not quoted whole
    question = "how long until my refund reaches the card?"

    def composed() -> str:
        composition = Composer(_embed).compose(question, [refunds])
        assert composition is not None
        return composition.text

    assert "3–5 business days" in composed()
    # the sentence sharing more of the question's words wins without the answer type
    monkeypatch.setattr(compose, "TYPED_WEIGHT", 0.0)
    assert "3–5 business days" not in composed()


def test_answer_types_know_what_a_question_asks_for_and_what_a_sentence_states() -> None:
    assert [t.name for t in expected_types("how much is the repair fee?")] == ["amount"]
    assert [t.name for t in expected_types("when will my points expire")] == ["duration"]
    assert expected_types("how do I wash my down jacket") == ()
    amount = expected_types("how much does it cost")
    assert states_any(amount, "Shipping to the Repair Shop costs $8.95.")
    assert not states_any(amount, "We repair zips, seams and buckles.")
    duration = expected_types("how long does it take")
    assert states_any(duration, "Most repairs take 2–3 weeks.")
    assert states_any(duration, "Points never expire while your account is active.")


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("¿cuánto cuesta el envío a Canadá?", ["amount"]),
        ("Quanto custa trocar o zíper?", ["amount"]),
        ("Wie viel kostet die Reparatur?", ["amount"]),
        ("wie lange dauert eine Rückerstattung?", ["duration"]),
        ("combien de temps pour le remboursement ?", ["amount", "duration"]),
        ("quando scadono i punti?", ["duration"]),
        ("¿puedo devolver una tienda usada?", []),
    ],
)
def test_questions_in_other_languages_ask_for_their_kind_of_fact_too(
    question: str, kinds: list[str]
) -> None:
    # Else a heading that asks for one ("How long a refund takes") reads as another kind's.
    assert [t.name for t in expected_types(question)] == kinds
    assert mismatched(question, "How long a refund takes") is ("duration" not in kinds)


def test_a_section_headed_for_another_kind_of_question_loses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    often = _section("How often to wash down", "Wash a down jacket once or twice a season.")
    washing = _section("Washing down", "Wash a down jacket in a front loader with down wash.")

    def chosen(question: str) -> str:
        composed = Composer(_embed).compose(question, [often, washing])
        assert composed is not None
        return composed.section.section

    assert chosen("how often should I wash my down jacket") == "How often to wash down"
    assert chosen("how do I wash my down jacket") == "Washing down"
    monkeypatch.setattr(compose, "MISMATCH_PENALTY", 0.0)
    assert chosen("how do I wash my down jacket") == "How often to wash down"


def test_the_time_a_question_says_has_passed_picks_the_section_for_that_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    within = _section("Cancel within 30 minutes", "Cancel the order in your account.")
    after = _section("After 30 minutes", "Cancel the order by chat with us.")

    def chosen(question: str) -> str:
        composed = Composer(_embed).compose(question, [within, after])
        assert composed is not None
        return composed.section.section

    assert chosen("how do I cancel my order, I placed it 10 minutes ago") == (
        "Cancel within 30 minutes"
    )
    assert chosen("how do I cancel my order, I placed it yesterday") == "After 30 minutes"
    assert chosen("how do I cancel my order? ordered 2 hours ago") == "After 30 minutes"
    monkeypatch.setattr(compose, "MISMATCH_PENALTY", 0.0)
    assert chosen("how do I cancel my order, I placed it 10 minutes ago") == chosen(
        "how do I cancel my order, I placed it yesterday"
    )


@pytest.mark.parametrize(
    ("question", "heading", "expected"),
    [
        ("order was 2 hours ago", "Cancel within 30 minutes", False),
        ("order was 2 hours ago", "After 30 minutes", True),
        ("bought it from you 5 months ago", "Claims in the first year", True),
        ("bought it from you 5 months ago", "After the first year", False),
        ("ordered a few minutes ago", "Change the address in the first 30 minutes", True),
        ("placed it last week", "After 30 minutes", True),
        ("how do I cancel", "After 30 minutes", None),  # no time said
        ("ordered an hour ago", "Free standard shipping over $75", None),  # no window
        ("a 4 day trek", "Within 7 days", None),  # a length, not time passed
    ],
)
def test_time_windows_read_headings_and_elapsed_time(
    question: str, heading: str, expected: bool | None
) -> None:
    assert fits(question, heading) is expected


def test_answer_types_read_heading_against_question() -> None:
    assert mismatched("how do I wash my puffy", "How often to wash down")
    assert not mismatched("how often do I wash my puffy", "How often to wash down")
    assert not mismatched("is a paypal refund quicker than a card", "How long a refund takes")
    assert not mismatched("how do I wash my puffy", "Washing")


def test_two_sections_that_answer_about_equally_are_both_quoted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rewards = _section("Rewards expire", "A reward expires 90 days after it is issued.")
    points = _section("Points expire", "Points expire after 12 months without a purchase.")
    pitching = _section("Pitching", "Stake the corners first, then raise the poles.")

    composed = Composer(_embed).compose(
        "do my points or rewards expire", [rewards, points, pitching]
    )

    assert composed is not None and composed.also is not None
    assert {composed.section.section, composed.also.section} == {"Rewards expire", "Points expire"}
    assert "90 days" in composed.text and "12 months" in composed.text
    assert "Stake" not in composed.text
    monkeypatch.setattr(compose, "SECTION_TIE", 0.0)
    alone = Composer(_embed).compose("do my points or rewards expire", [rewards, points, pitching])
    assert alone is not None and alone.also is None
    assert ("90 days" in alone.text) != ("12 months" in alone.text)


def test_a_quoted_second_section_is_cited_too() -> None:
    rewards = _section("Rewards expire", "A reward expires 90 days after it is issued.")
    points = _section("Points expire", "Points expire after 12 months without a purchase.")
    composed = Composer(_embed).compose("do my points or rewards expire", [rewards, points])
    assert composed is not None and composed.also is not None

    written = offline_answer("do my points or rewards expire", [rewards.passage], composed)

    assert written.cited == (composed.section.id, composed.also.id)
    assert "/help/a#rewards expire" in written.text and "/help/a#points expire" in written.text


def test_the_remainder_asks_whether_the_answer_speaks_to_the_words_it_does_not_contain() -> None:
    sections = [
        _section("Store addresses", "Boulder store: 1720 Pearl St, open 10 am to 7 pm daily."),
        _section("Returns", "Bring the item with its receipt to any store."),
    ]
    composer = Composer(_embed)
    hours = composer.compose("when is the boulder store open", sections)
    hiring = composer.compose("are you hiring at the boulder store", sections)
    assert hours is not None and hiring is not None
    assert hours.section.section == hiring.section.section == "Store addresses"
    assert hours.remainder == 1.0  # every word it asks about is in the answer
    assert hiring.remainder < 0.2  # "hiring": the address does not speak to it
