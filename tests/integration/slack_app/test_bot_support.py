"""Support in Slack through the real Bolt app over signed HTTP, against the sandbox's Slack: the
Support agent's answers in the asker's thread or direct messages, feedback, what is never
answered, parsing an event, and ``/controlroom ask``. The asker's messages are stored in the
workspace before their events are sent, as Slack does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.support import agent as support_agent
from agents.support import answer as answer_question
from bot import ids
from bot.blocks import support as support_blocks
from bot.listeners.support import SupportQuestion, parse_event
from controlroom.services import Services
from integrations.statestore import SlackThread, SupportQuestionRecord
from sandbox import Workspace, payloads
from tests.integration.slack_app._support import (
    APPROVER,
    ASKER,
    ASKER_DM,
    CONFIDENT,
    DM,
    ESCALATIONS,
    READER,
    UNSURE,
    asked,
    buttons,
    click_on,
    direct_message,
    mention,
    posted,
)
from tests.slack_sandbox import RunningBot, texts

# The app with the shipped help centre ingested, for the Support agent to answer from.
pytestmark = pytest.mark.usefixtures("ingested_kb")


def test_a_confident_mention_is_answered_in_the_askers_thread_with_sources_and_feedback(
    bot: RunningBot, services: Services
) -> None:
    ts = asked(bot, mention(bot, CONFIDENT))
    [answer] = posted(bot, "C0GTM", ts)
    shown = texts(answer.args["blocks"])
    assert "Forgot password?" in shown
    assert "Sources: /help/account-privacy/password-and-sign-in" in shown
    assert "Confidence" in shown
    feedback = buttons(answer.args["blocks"])
    run_id = feedback[ids.SUPPORT_HELPFUL]
    assert feedback == {ids.SUPPORT_HELPFUL: run_id, ids.SUPPORT_NOT_HELPFUL: run_id}
    run = services.state.get_run(run_id)
    assert (run.workflow, run.status, run.started_by) == ("support", "succeeded", ASKER)
    assert [e.action for e in services.state.audit_entries(run_id=run_id)] == ["answer_sent"]
    assert services.state.run_thread(run_id) == SlackThread("C0GTM", ts)
    assert len(bot.api.calls_to("chat.postMessage")) == 1  # nothing went to a person


def test_a_question_with_emoji_a_link_and_an_ampersand_is_read_as_the_asker_wrote_it(
    bot: RunningBot, services: Services
) -> None:
    # Slack sends "&" as "&amp;", a link as <address|label> and an emoji by its name: the asker
    # sees the words, and the search reads them without the link and the emoji.
    link = "<https://twopeaks.example/returns|returned my boots>"
    ts = asked(bot, mention(bot, f"hey :wave: how long do refunds take? I {link} &amp; :pray:"))
    [answer] = posted(bot, "C0GTM", ts)
    shown = texts(answer.args["blocks"])
    assert "5–10 business days" in shown
    run_id = buttons(answer.args["blocks"])[ids.SUPPORT_HELPFUL]
    assert [e.action for e in services.state.audit_entries(run_id=run_id)] == ["answer_sent"]
    (recorded,) = [q for q in _questions(services) if q.run_id == run_id]
    assert recorded.question == (
        "hey 👋 how long do refunds take? I returned my boots "
        "(https://twopeaks.example/returns) & 🙏"
    )


def test_a_helpful_click_is_audited_and_the_buttons_replaced_by_who_said_so(
    bot: RunningBot, services: Services
) -> None:
    ts = asked(bot, mention(bot, CONFIDENT))
    [answer] = posted(bot, "C0GTM", ts)
    run_id = buttons(answer.args["blocks"])[ids.SUPPORT_HELPFUL]
    click_on(bot, answer, ids.SUPPORT_HELPFUL, user_id=READER)
    [replaced] = bot.api.wait_for("response_url")
    assert replaced.args["replace_original"] is True
    assert buttons(replaced.args["blocks"]) == {}
    shown = texts(replaced.args["blocks"])
    assert f"Thanks — marked helpful by <@{READER}>" in shown
    assert "Forgot password?" in shown  # the answer itself stays
    [feedback] = [
        e for e in services.state.audit_entries(run_id=run_id) if e.action == "answer_feedback"
    ]
    assert (feedback.actor, feedback.detail) == (READER, {"helpful": True})


def test_a_not_helpful_click_is_audited_as_such(bot: RunningBot, services: Services) -> None:
    ts = asked(bot, mention(bot, CONFIDENT))
    [answer] = posted(bot, "C0GTM", ts)
    click_on(bot, answer, ids.SUPPORT_NOT_HELPFUL, user_id=ASKER)
    [replaced] = bot.api.wait_for("response_url")
    assert f"marked not helpful by <@{ASKER}>" in texts(replaced.args["blocks"])
    [feedback] = [e for e in services.state.audit_entries() if e.action == "answer_feedback"]
    assert (feedback.actor, feedback.detail["helpful"]) == (ASKER, False)


def test_a_top_level_direct_message_is_answered_inline_as_a_conversation_not_in_a_thread(
    bot: RunningBot, services: Services
) -> None:
    asked(bot, direct_message(bot, CONFIDENT))
    [answer] = posted(bot, ASKER_DM, None)
    assert "thread_ts" not in answer.args
    assert "Forgot password?" in texts(answer.args["blocks"])
    run_id = buttons(answer.args["blocks"])[ids.SUPPORT_HELPFUL]
    assert services.state.run_thread(run_id) == SlackThread(ASKER_DM, None)
    assert len(bot.api.calls_to("chat.postMessage")) == 1


def test_a_direct_message_asked_in_a_thread_is_answered_in_that_thread(
    bot: RunningBot, services: Services
) -> None:
    parent = direct_message(bot, "hello")["ts"]  # an earlier message, its event long dealt with
    asked(bot, direct_message(bot, CONFIDENT, thread_ts=parent))
    [answer] = posted(bot, ASKER_DM, parent)
    assert "Forgot password?" in texts(answer.args["blocks"])
    run_id = buttons(answer.args["blocks"])[ids.SUPPORT_HELPFUL]
    assert services.state.run_thread(run_id) == SlackThread(ASKER_DM, parent)
    assert [c.args.get("thread_ts") for c in bot.api.calls_to("chat.postMessage")] == [parent]


def test_an_unsure_direct_message_is_told_and_then_answered_by_a_person_inline_once(
    bot: RunningBot, services: Services
) -> None:
    asked(bot, direct_message(bot, UNSURE))
    [escalation] = posted(bot, ESCALATIONS, None)
    run_id = buttons(escalation.args["blocks"])[ids.APPROVE]
    [told] = posted(bot, ASKER_DM, None)
    assert told.args["text"] == support_blocks.ESCALATED_HERE
    assert "in this thread" not in texts(told.args["blocks"])
    assert services.state.run_thread(run_id) == SlackThread(ASKER_DM, None)
    approval = services.state.get_approval(run_id)
    bot.slack.click(
        ids.APPROVE,
        run_id,
        user_id=APPROVER,
        message_ts=str(approval.message_ts),
        channel=str(approval.channel_id),
    )
    [_, answer] = posted(bot, ASKER_DM, None, count=2)
    assert f"Answer from <@{APPROVER}>" in texts(answer.args["blocks"])
    # Both inline in the conversation, the person's answer once; none in a thread under it.
    to_asker = [c for c in bot.api.calls_to("chat.postMessage") if c.args["channel"] in DM]
    assert [("thread_ts" in c.args, c.args["text"]) for c in to_asker] == [
        (False, support_blocks.ESCALATED_HERE),
        (False, answer.args["text"]),
    ]
    assert services.state.get_approval(run_id).status == "approved"


def test_the_bots_own_messages_and_message_edits_are_never_answered(bot: RunningBot) -> None:
    me = bot.workspace.identity
    own = direct_message(bot, "Forgot password? Choose Sign in")
    own.update(user=me.bot_user_id, bot_id=me.bot_id)
    edited = direct_message(bot, CONFIDENT) | {"subtype": "message_changed"}
    joined = direct_message(bot, "joined") | {"subtype": "channel_join"}
    for event in (own, edited, joined):
        asked(bot, event)
    # A real question afterwards is answered: by then the three above were long dealt with.
    asked(bot, direct_message(bot, CONFIDENT))
    posted(bot, ASKER_DM, None)
    assert [c.args["channel"] for c in bot.api.calls_to("chat.postMessage")] == [ASKER_DM]


def test_a_mention_without_a_question_gets_a_hint_and_starts_no_run(
    bot: RunningBot, services: Services
) -> None:
    ts = asked(bot, mention(bot, ""))
    [hint] = posted(bot, "C0GTM", ts)
    assert "Ask me a question after the mention" in texts(hint.args["blocks"])
    assert services.state.recent_runs() == []


def _event(
    workspace: Workspace, text: str, ts: str, *, channel: str, thread_ts: str | None = None
) -> dict[str, Any]:
    """The event of the asker's message at ``ts`` in ``channel``, a mention outside direct
    messages, as Slack would send it (not stored: parsing needs no workspace)."""
    where = workspace.channel(channel)  # the asker's ID: their direct messages
    assert where is not None
    mentioned = not where["is_im"]
    if mentioned:
        text = f"<@{workspace.identity.bot_user_id}> {text}"
    typed = payloads.typed_message(workspace.identity, ASKER, text, thread_ts)
    return payloads.message_event(typed | {"ts": ts}, where, mention=mentioned)


def test_parsing_keeps_the_question_and_the_thread_it_was_asked_in(workspace: Workspace) -> None:
    me = workspace.identity.bot_user_id
    event = _event(workspace, CONFIDENT, "1764000900.000200", channel="C0GTM")
    event["thread_ts"] = "1764000900.000100"
    assert parse_event(event, me) == SupportQuestion(CONFIDENT, ASKER, "C0GTM", "1764000900.000100")
    top = _event(workspace, "  hi  there ", "1.2", channel=ASKER)
    assert parse_event(top, me) == SupportQuestion("hi there", ASKER, ASKER_DM, None)
    in_a_thread = _event(workspace, "hi", "1.3", channel=ASKER, thread_ts="1.2")
    assert parse_event(in_a_thread, me) == SupportQuestion("hi", ASKER, ASKER_DM, "1.2")


@pytest.mark.parametrize(
    "extra",
    [{"user": "me"}, {"bot_id": "B0OTHER"}, {"subtype": "message_changed"}, {"user": None}],
)
def test_parsing_ignores_bots_and_message_subtypes(
    workspace: Workspace, extra: dict[str, Any]
) -> None:
    me = workspace.identity.bot_user_id
    if extra.get("user") == "me":
        extra = {"user": me}
    event = _event(workspace, CONFIDENT, "1.2", channel=ASKER) | extra
    assert parse_event(event, me) is None


def _questions(services: Services) -> list[SupportQuestionRecord]:
    now = datetime.now(UTC)
    return services.state.support_questions(since=now - timedelta(days=1), until=now + timedelta(1))


# /controlroom ask --------------------------------------------------------------------------


def test_slash_ask_is_answered_in_a_channel_message_with_feedback_buttons(
    bot: RunningBot, services: Services
) -> None:
    assert bot.slack.command(f"ask {CONFIDENT}", user_id=ASKER).status_code == 200
    [answer] = posted(bot, "C0GTM", None)
    shown = texts(answer.args["blocks"])
    assert "*Support*" in shown and "Planned by rules" in shown and "Sources:" in shown
    run_id = buttons(answer.args["blocks"])[ids.SUPPORT_HELPFUL]
    assert services.state.get_run(run_id).workflow == "ask"
    # The response URL only takes the "Working on it…" note away: no copy of the answer.
    [note_gone] = bot.api.wait_for("response_url")
    assert note_gone.args == {"text": "", "delete_original": True}
    assert len(bot.api.calls_to("chat.postMessage")) == 1  # confident: nobody else involved


def test_slash_ask_that_support_is_unsure_of_goes_to_a_person_and_the_answer_to_its_thread(
    bot: RunningBot, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def counted(question: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(question)
        return answer_question(question, *args, **kwargs)

    monkeypatch.setattr(support_agent, "answer", counted)
    bot.slack.command(f"ask {UNSURE}", user_id=ASKER)
    [answer] = posted(bot, "C0GTM", None)
    [escalation] = posted(bot, ESCALATIONS, None)
    run_id = buttons(escalation.args["blocks"])[ids.APPROVE]
    assert services.state.get_run(run_id).workflow == "support"
    # The escalation pauses with the Support agent's draft: the question is answered once.
    assert asked == [UNSURE]
    thread_ts = answer.answer["ts"]
    [told] = posted(bot, "C0GTM", thread_ts)  # the answer message's thread
    assert support_blocks.ESCALATED in told.args["text"]
    assert services.state.run_thread(run_id) == SlackThread("C0GTM", thread_ts)
    approval = services.state.get_approval(run_id)
    bot.slack.click(
        ids.APPROVE,
        run_id,
        user_id=APPROVER,
        message_ts=str(approval.message_ts),
        channel=str(approval.channel_id),
    )
    [_, human] = posted(bot, "C0GTM", thread_ts, count=2)
    assert f"Answer from <@{APPROVER}>" in texts(human.args["blocks"])
    assert "*Support*" in texts(answer.args["blocks"])


def test_slash_ask_where_the_bot_is_not_a_member_answers_by_response_url_and_says_so(
    bot: RunningBot, services: Services
) -> None:
    bot.api.fail("chat.postMessage", "not_in_channel", channel="C0GTM")
    bot.slack.command(f"ask {UNSURE}", user_id=ASKER)
    [answer] = bot.api.wait_for("response_url")
    assert answer.args["response_type"] == "in_channel"
    shown = texts(answer.args["blocks"])
    assert "*Support*" in shown and "not a member of this channel" in shown
    # A person's answer will come in a direct message: that message is the thread.
    [direct] = posted(bot, ASKER, None)
    assert UNSURE in texts(direct.args["blocks"])
    [escalation] = posted(bot, ESCALATIONS, None)
    run_id = buttons(escalation.args["blocks"])[ids.APPROVE]
    thread = services.state.run_thread(run_id)
    assert thread == SlackThread(ASKER_DM, direct.answer["ts"])  # as Slack answered the post
