"""Attacks on the slot writer, through the real ``openai`` client against the scripted
OpenAI-compatible server: a reply that states a figure of its own, or a Slack mention, is
refused and re-asked once, then the offline slot text answers; the server counts the asks."""

from __future__ import annotations

from integrations.llm import Fact, OpenAICompatibleModel, SlotText, Written
from tests.fakes.openai_server import (
    FAST_RETRY,
    FakeOpenAIServer,
    completion_reply,
    connect_model,
    error_reply,
)

FACTS = (
    Fact(name="revenue", unit="currency", value=94_264.4, label="Revenue, 2–8 Nov 2026"),
    Fact(name="orders", unit="count", value=1_026, label="Orders, 2–8 Nov 2026"),
    Fact(name="roas", unit="multiple", value=39.5, label="Blended ROAS"),
    Fact(
        name="revenue_change",
        unit="ratio",
        value=0.266,
        signed=True,
        label="Revenue change on the week before",
    ),
    Fact(name="period", unit="text", text="2–8 Nov 2026", label="The week"),
    Fact(name="channel", unit="text", text="Paid & social", label="The best channel"),
)
OFFLINE = SlotText("Revenue was {revenue} in {period}, {revenue_change} on the week before.")
OFFLINE_RENDERED = "Revenue was $94,264 in 2–8 Nov 2026, +26.6% on the week before."
SYSTEM = "You are the finance analyst."
PROMPT = "Summarise the week."


def write(model: OpenAICompatibleModel) -> Written:
    return model.write_slots("finance", SYSTEM, PROMPT, FACTS, offline=OFFLINE)


def test_an_invented_number_is_re_asked_once_and_the_clean_second_text_is_used(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply("Revenue was $1,026 in {period}."),
        completion_reply("Revenue was {revenue} in {period}; {channel} led <again>."),
    )

    written = write(model)

    assert (written.text, written.source, written.reason) == (
        "Revenue was $94,264 in 2–8 Nov 2026; Paid &amp; social led &lt;again&gt;.",
        "model",
        None,
    )
    (refused,) = written.refused
    assert refused.text == "Revenue was $1,026 in {period}."
    assert {(p.kind, p.found) for p in refused.problems} == {("digit", "$1,026"), ("unit", "$")}
    first, second = server.chat_requests
    system, user = first["messages"]
    assert "never write one yourself" in system["content"]
    assert system["content"].startswith(SYSTEM)
    assert user["content"].startswith(PROMPT)
    assert "- {orders}: Orders, 2–8 Nov 2026 (count), now 1,026" in user["content"]
    assert "- {revenue}: Revenue, 2–8 Nov 2026 (currency), now $94,264" in user["content"]
    reask = second["messages"][1]["content"]
    assert "Revenue was $1,026 in {period}." in reask
    assert "'$1,026': a digit outside a slot" in reask
    assert model.meter.total().calls == 2
    assert model.meter.fallbacks() == ()


def test_two_refused_texts_give_the_offline_text_and_both_are_recorded(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply("Revenue was ninety-four thousand dollars."),
        completion_reply("<!channel> revenue was {revenue}."),
        completion_reply("Revenue was {revenue}."),  # never asked for: one re-ask only
    )

    written = write(model)

    assert (written.text, written.source) == (OFFLINE_RENDERED, "offline")
    assert written.reason == "the model's text broke the slot rules twice"
    assert [{p.kind for p in refused.problems} for refused in written.refused] == [
        {"number_word"},
        {"slack"},
    ]
    assert len(server.chat_requests) == 2
    (fallback,) = model.meter.fallbacks()
    assert (fallback.agent, fallback.kind) == ("finance", "refused")


def test_a_unit_written_beside_a_slot_is_refused_whatever_the_slot(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply("Revenue was $ {orders} this week."),
        completion_reply("ROAS was {roas}% and revenue {revenue_change}."),
    )

    written = write(model)

    assert written.source == "offline"
    assert [{(p.kind, p.found) for p in r.problems} for r in written.refused] == [
        {("unit", "$ {orders}")},
        {("unit", "{roas}%")},
    ]
    assert len(server.chat_requests) == 2


def test_a_slot_misattributed_by_wording_passes_so_the_prompt_names_each_slots_meaning(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    # Not detectable: "{orders} in revenue" is a well-formed sentence. The defence is the
    # prompt, which lists every slot with what it is and its value.
    server.script(completion_reply("We made {orders} in revenue."))

    written = write(model)

    assert (written.text, written.source, written.refused) == (
        "We made 1,026 in revenue.",
        "model",
        (),
    )
    (sent,) = server.chat_requests
    assert "- {orders}: Orders, 2–8 Nov 2026 (count), now 1,026" in sent["messages"][1]["content"]


def test_a_model_that_is_down_gives_the_offline_text_without_an_exception() -> None:
    with FakeOpenAIServer(default=lambda body: error_reply(500)) as server:
        model = connect_model(server)
        try:
            written = write(model)
        finally:
            model.close()

        assert (written.text, written.source, written.refused) == (OFFLINE_RENDERED, "offline", ())
        assert written.reason is not None and "unavailable" in written.reason
        # The backend's retries for one ask, and no re-ask of a server that is down.
        assert len(server.chat_requests) == FAST_RETRY.attempts
        (fallback,) = model.meter.fallbacks()
        assert fallback.kind == "unavailable"


def test_a_server_failing_after_a_refused_text_keeps_the_refusal_on_record(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply("Revenue rose 26.6% above the four-week average."),
        *[error_reply(503)] * FAST_RETRY.attempts,
    )

    written = write(model)

    assert (written.text, written.source) == (OFFLINE_RENDERED, "offline")
    (refused,) = written.refused
    assert {(p.kind, p.found) for p in refused.problems} == {
        ("digit", "26.6%"),
        ("unit", "%"),
        ("number_word", "four"),
    }
    assert len(server.chat_requests) == 1 + FAST_RETRY.attempts


def test_a_reply_that_is_not_prose_falls_back_without_a_re_ask(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(completion_reply('{"text": "Revenue was {revenue}."}'))

    written = write(model)

    assert (written.text, written.source, written.refused) == (OFFLINE_RENDERED, "offline", ())
    assert len(server.chat_requests) == 1
    (fallback,) = model.meter.fallbacks()
    assert fallback.kind == "refused"
