"""Slot text: figures rendered by code with their units, and every way a writer could slip in a
figure of its own refused."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.llm import (
    Fact,
    OfflineWriter,
    SlotText,
    SlotTextError,
    check_slot_text,
    render_fact,
    render_slot_text,
)

FACTS = (
    Fact(name="revenue", unit="currency", value=94_264.4, label="Revenue, 2–8 Nov 2026"),
    Fact(name="orders", unit="count", value=893, label="Orders"),
    Fact(name="aov", unit="currency", value=105.56, label="Average order value"),
    Fact(name="revenue_change", unit="ratio", value=0.349, signed=True, label="Revenue change"),
    Fact(name="repeat_rate", unit="ratio", value=0.892, label="Repeat rate"),
    Fact(name="repeat_rate_change", unit="percentage_points", value=-0.009, label="Change"),
    Fact(name="roas", unit="multiple", value=41.2, label="Blended ROAS"),
    Fact(name="hours_to_resolve", unit="hours", value=12.5, label="Median time to resolve"),
    Fact(name="period", unit="text", text="2–8 Nov 2026", label="The week"),
    Fact(name="comparison", unit="text", text="the week before", label="Compared with"),
    Fact(name="channel", unit="text", text="Paid & <Social>", label="The channel"),
)


def kinds_found(text: str) -> set[tuple[str, str]]:
    return {(problem.kind, problem.found) for problem in check_slot_text(text, FACTS)}


@pytest.mark.parametrize(
    ("fact", "shown"),
    [
        (Fact(name="f", unit="currency", value=94_264.4), "$94,264"),
        (Fact(name="f", unit="currency", value=1_204.5), "$1,205"),
        (Fact(name="f", unit="currency", value=1_234_567.891), "$1,234,568"),
        (Fact(name="f", unit="currency", value=-1_204), "−$1,204"),
        (Fact(name="f", unit="currency", value=1_204, signed=True), "+$1,204"),
        (Fact(name="f", unit="currency", value=105.555, decimals=2), "$105.56"),
        (Fact(name="f", unit="count", value=893), "893"),
        (Fact(name="f", unit="count", value=1_000_000), "1,000,000"),
        (Fact(name="f", unit="count", value=12, signed=True), "+12"),
        (Fact(name="f", unit="count", value=-12, signed=True), "−12"),
        (Fact(name="f", unit="ratio", value=0.892), "89.2%"),
        (Fact(name="f", unit="ratio", value=0.1235), "12.4%"),
        (Fact(name="f", unit="ratio", value=0.349, signed=True), "+34.9%"),
        (Fact(name="f", unit="ratio", value=-0.0121, signed=True), "−1.2%"),
        (Fact(name="f", unit="ratio", value=0.0004, signed=True), "0.0%"),
        (Fact(name="f", unit="ratio", value=-0.0004, signed=True), "0.0%"),
        (Fact(name="f", unit="ratio", value=np.float64(0.1235)), "12.4%"),
        (Fact(name="f", unit="multiple", value=41.2), "41.2×"),
        (Fact(name="f", unit="multiple", value=13.25), "13.3×"),
        (Fact(name="f", unit="percentage_points", value=-0.009), "−0.9 pp"),
        (Fact(name="f", unit="percentage_points", value=0.021), "+2.1 pp"),
        (Fact(name="f", unit="percentage_points", value=0), "0.0 pp"),
        (Fact(name="f", unit="hours", value=12.5), "12.5 hours"),
        (Fact(name="f", unit="hours", value=12.04), "12 hours"),
        (Fact(name="f", unit="hours", value=1), "1 hour"),
        (Fact(name="f", unit="days", value=3), "3 days"),
        (Fact(name="f", unit="days", value=1.0), "1 day"),
        (Fact(name="f", unit="days", value=2.5), "2.5 days"),
        (Fact(name="f", unit="text", text="2–8 Nov 2026"), "2–8 Nov 2026"),
    ],
)
def test_each_unit_renders_the_way_the_team_reads_it(fact: Fact, shown: str) -> None:
    assert render_fact(fact) == shown


@pytest.mark.parametrize(
    "unit", ["currency", "count", "ratio", "multiple", "hours", "percentage_points", "days"]
)
@pytest.mark.parametrize("value", [None, float("nan"), float("inf")])
def test_a_missing_figure_renders_as_not_available(unit: str, value: float | None) -> None:
    fact = Fact(name="f", unit=unit, value=value)  # type: ignore[arg-type]
    assert (fact.value, render_fact(fact)) == (None, "n/a")


@pytest.mark.parametrize(
    "build",
    [
        lambda: Fact(name="Revenue", unit="currency", value=1.0),
        lambda: Fact(name="2x", unit="count", value=1),
        lambda: Fact(name="rev-enue", unit="currency", value=1.0),
        lambda: Fact(name="period", unit="text"),
        lambda: Fact(name="period", unit="text", text="May", value=1),
        lambda: Fact(name="orders", unit="count", value=1, text="one"),
        lambda: Fact(name="flag", unit="count", value=True),
        lambda: Fact(name="orders", unit="count", value=1, decimals=9),
    ],
)
def test_a_malformed_fact_is_refused_when_built(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_a_clean_text_renders_exactly() -> None:
    text = (
        "Revenue was {revenue} in {period}, {revenue_change} on {comparison}; repeat rate "
        "{repeat_rate} ({repeat_rate_change}), ROAS {roas}, tickets closed in {hours_to_resolve}."
    )
    assert check_slot_text(text, FACTS) == []
    assert render_slot_text(text, FACTS) == (
        "Revenue was $94,264 in 2–8 Nov 2026, +34.9% on the week before; repeat rate 89.2% "
        "(−0.9 pp), ROAS 41.2×, tickets closed in 12.5 hours."
    )


def test_the_writers_words_and_text_facts_are_escaped_for_slack_once() -> None:
    rendered = render_slot_text("R&D <team> says AT&amp;T liked {channel}", FACTS)
    assert rendered == ("R&amp;D &lt;team&gt; says AT&amp;amp;T liked Paid &amp; &lt;Social&gt;")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # invented figures: digits anywhere outside a slot
        ("Revenue was 94,000 last week.", {("digit", "94,000")}),
        ("Revenue was $1,026.", {("digit", "$1,026"), ("unit", "$")}),
        ("Revenue grew 0.27% to {revenue}.", {("digit", "0.27%"), ("unit", "%")}),
        ("Revenue was up 27%.", {("digit", "27%"), ("unit", "%")}),
        ("Q3 was strong.", {("digit", "Q3")}),
        ("Half of it: ½.", {("number_word", "Half"), ("digit", "1⁄2")}),
        ("Fullwidth ９ counts.", {("digit", "9")}),
        # a figure from a different comparison (the wrong base) is still a figure
        (
            "{revenue_change} is 26.6% above the four-week average.",
            {("digit", "26.6%"), ("unit", "%"), ("number_word", "four")},
        ),
        # number words
        (
            "Revenue was ninety-four thousand.",
            {("number_word", "ninety"), ("number_word", "four"), ("number_word", "thousand")},
        ),
        ("Orders doubled.", {("number_word", "doubled")}),
        ("Half of the customers came back.", {("number_word", "Half")}),
        ("Twice as many orders.", {("number_word", "Twice")}),
        ("Ten percent more.", {("number_word", "Ten"), ("number_word", "percent")}),
        ("Up a few per cent.", {("number_word", "cent")}),
        ("A tenfold return.", {("number_word", "tenfold")}),
        ("Der Umsatz hat sich verdoppelt.", {("number_word", "verdoppelt")}),
        ("Zwei Kanäle wuchsen.", {("number_word", "Zwei")}),
        ("Vierundneunzigtausend Euro.", {("number_word", "Vierundneunzigtausend")}),
        (
            "Los ingresos se duplicó; la mitad.",
            {("number_word", "duplicó"), ("number_word", "mitad")},
        ),
        (
            "Veinticuatro pedidos y dos canales.",
            {("number_word", "Veinticuatro"), ("number_word", "dos")},
        ),
        (
            "La moitié des clients, trois canaux.",
            {("number_word", "moitié"), ("number_word", "trois")},
        ),
        # units written by hand, next to a slot or anywhere
        ("ROAS {aov}%", {("unit", "{aov}%")}),
        ("{orders} % of revenue", {("unit", "{orders} %")}),
        ("Revenue was $ {orders}.", {("unit", "$ {orders}")}),
        ("Revenue was USD {revenue}.", {("unit", "USD {revenue}")}),
        ("Revenue was {revenue}k.", {("unit", "{revenue}k")}),
        ("Revenue was {orders} dollars.", {("unit", "{orders} dollars")}),
        ("ROAS of {roas}x.", {("unit", "{roas}x")}),
        ("ROAS of {roas} ×.", {("unit", "{roas} ×")}),
        ("Closed in {hours_to_resolve} hours.", {("unit", "{hours_to_resolve} hours")}),
        ("Repeat rate moved {repeat_rate_change} pp.", {("unit", "{repeat_rate_change} pp")}),
        ("Revenue grew +{revenue_change}.", {("unit", "+{revenue_change}")}),
        ("Revenue moved -{revenue_change}.", {("unit", "-{revenue_change}")}),
        ("Prices in € stayed put.", {("unit", "€")}),
        # Slack mentions, links and specials
        ("<!channel> revenue is in.", {("slack", "<!channel>")}),
        ("<!here|here> look.", {("slack", "<!here|here>")}),
        ("<!subteam^SABCDEF> look.", {("slack", "<!subteam^SABCDEF>")}),
        ("Ask <@UABCDEF> about it.", {("slack", "<@UABCDEF>")}),
        ("See <#CABCDEF|general>.", {("slack", "<#CABCDEF|general>")}),
        ("Click <https://evil.example|here>.", {("slack", "<https://evil.example|here>")}),
        ("Mail <mailto:a@b.example|us>.", {("slack", "<mailto:a@b.example|us>")}),
        ("@channel heads up.", {("slack", "@channel")}),
        # slots that are not facts, not slots, or not closed
        ("Profit was {profit}.", {("unknown_slot", "{profit}")}),
        ("Revenue was {Revenue}.", {("malformed_slot", "{Revenue}")}),
        ("Revenue was {revenue:,.0f}.", {("malformed_slot", "{revenue:,.0f}")}),
        ("Revenue was { revenue }.", {("malformed_slot", "{ revenue }")}),
        ("Revenue was {}.", {("malformed_slot", "{}")}),
        ("Revenue was {revenue.", {("brace", "{")}),
        ("Revenue was revenue}.", {("brace", "}")}),
        ("Revenue was {{revenue}}.", {("brace", "{"), ("brace", "}")}),
        ("", {("empty", "")}),
        ("  \n ", {("empty", "")}),
    ],
)
def test_a_text_that_could_state_a_figure_of_its_own_is_refused(
    text: str, expected: set[tuple[str, str]]
) -> None:
    assert kinds_found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Revenue was {revenue}, {revenue_change} on {comparison}.",
        "Between {orders}-{revenue} and {aov} – {roas}.",  # a hyphen or dash joins two slots
        "Einfach und schnell: someone often attends.",  # words made of number stems, but words
        "Once the campaign ended, the ones who bought came back first.",
        "Q&A with R&D, <b>bold</b> claims aside.",
        "Customers in {period} ordered {orders} times.",
    ],
)
def test_plain_words_around_slots_pass(text: str) -> None:
    assert check_slot_text(text, FACTS) == []


def test_misattribution_by_wording_is_not_detectable_so_slot_names_carry_meaning() -> None:
    # "{orders} in revenue" reads like any sentence: the prompt's slot list is the defence.
    assert check_slot_text("We made {orders} in revenue.", FACTS) == []


def test_rendering_a_refused_text_raises_with_its_problems() -> None:
    with pytest.raises(SlotTextError) as raised:
        render_slot_text("Revenue was 94,000 ({profit}).", FACTS)
    assert {(p.kind, p.found) for p in raised.value.problems} == {
        ("digit", "94,000"),
        ("unknown_slot", "{profit}"),
    }
    assert "'94,000': a digit outside a slot" in str(raised.value)


def test_two_facts_with_one_name_are_a_mistake() -> None:
    twice = [Fact(name="orders", unit="count", value=1), Fact(name="orders", unit="count", value=2)]
    with pytest.raises(ValueError, match="two facts are named 'orders'"):
        check_slot_text("{orders}", twice)


def test_the_offline_writer_renders_its_slot_text_with_the_same_code() -> None:
    written = OfflineWriter().write_slots(
        "finance", "system", "prompt", FACTS, offline=SlotText("Revenue {revenue} in {period}.")
    )
    assert (written.text, written.source, written.refused) == (
        "Revenue $94,264 in 2–8 Nov 2026.",
        "offline",
        (),
    )
    assert written.reason == "no language model is configured"


def test_an_offline_template_with_a_figure_of_its_own_is_a_loud_mistake() -> None:
    with pytest.raises(SlotTextError):
        OfflineWriter().write_slots(
            "finance", "s", "p", FACTS, offline=SlotText("Revenue was over 90k.")
        )


# Fragments a writer might emit: plain words, slots, and the characters that try to break out.
FRAGMENTS = [
    "Revenue",
    "was",
    "rose",
    "on",
    " ",
    ", ",
    ".",
    "&",
    "<",
    ">",
    "<b>",
    "{",
    "}",
    "%",
    "$",
    "x",
    "-",
    "+",
    "@here",
    "<!channel>",
    "seven",
    "3",
    "Q4",
    "{revenue}",
    "{orders}",
    "{revenue_change}",
    "{channel}",
    "{period}",
    "{profit}",
]


@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map("".join))
def test_whatever_passes_the_check_renders_no_figure_but_the_facts(text: str) -> None:
    if check_slot_text(text, FACTS):
        return
    rendered = render_slot_text(text, FACTS)
    for fact in FACTS:
        rendered = rendered.replace(render_slot_text(f"{{{fact.name}}}", FACTS), " ")
    assert not re.search(r"\d|[%$×{}<>]|@here|!channel", rendered)


@given(
    st.lists(st.sampled_from(["Revenue", "was", "{revenue}", "on", "{comparison}"]), min_size=1),
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["{:,}", "{}", "{:,}%", "${:,}", "{:.1f}", "Q{}", "x{}", "{}k"]),
    st.data(),
)
def test_a_figure_put_anywhere_between_words_is_refused(
    words: list[str], number: int, shape: str, data: st.DataObject
) -> None:
    where = data.draw(st.integers(min_value=0, max_value=len(words)))
    glue = data.draw(st.sampled_from([" ", ""]))
    text = glue.join([*words[:where], shape.format(number), *words[where:]])
    assert "digit" in {problem.kind for problem in check_slot_text(text, FACTS)}
