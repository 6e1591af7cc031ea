"""The knowledge-gap report in Slack: customers' words escaped and cut, within Slack's limits,
in the digest after the specialists' prose; a failed report shows no error text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.support.gaps import MAX_EXAMPLE_CHARS, KnowledgeGap, KnowledgeGapReport
from bot.blocks.digest import digest_blocks
from bot.blocks.gaps import knowledge_gap_blocks
from tests.proposals import RUN_ID
from tests.unit._slack_blocks import assert_valid
from workflows.digest import Digest

UNTIL = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> see <https://evil.example|your refund> & reply"


def _report(**changes: object) -> KnowledgeGapReport:
    gap = KnowledgeGap(
        title="Hiring for the <!here> store",
        questions=3,
        escalated=2,
        low_confidence=1,
        examples=[HOSTILE, "x" * (MAX_EXAMPLE_CHARS - 1) + "…", "are you hiring"],
        nearest="Contact us › Stores",
        nearest_url="/help/account-privacy/contact-us#stores",
    )
    values: dict[str, object] = {
        "since": UNTIL - timedelta(days=7),
        "until": UNTIL,
        "low_confidence_below": 0.85,
        "asked": 40,
        "flagged": 2,
        "gaps": [gap] * 5,
        "more_gaps": 3,
        "more_questions": 4,
    }
    return KnowledgeGapReport.model_validate(values | changes)


def _text(blocks: list[dict[str, object]]) -> str:
    return "\n".join(str(block) for block in blocks)


def test_five_topics_with_escaped_quoted_examples_fit_slack() -> None:
    built = knowledge_gap_blocks(_report())

    assert_valid(built)
    shown = _text(built)
    assert "<!channel>" not in shown and "<!here>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt; see &lt;https://evil.example|your refund&gt; &amp; reply" in shown
    assert built[0]["text"]["text"] == (
        "*Knowledge gaps*\n19 of 40 questions asked 30 Nov 2026 – 7 Dec 2026 are knowledge gaps "
        "(escalated, or answered below 85%), in 8 topics."
    )
    assert built[1]["text"]["text"].splitlines()[:2] == [
        "*1. Write “Hiring for the &lt;!here&gt; store”*",
        "3 questions (2 escalated, 1 answered below 85%) · nearest article: Contact us › Stores",
    ]
    assert built[1]["text"]["text"].splitlines()[2].startswith(">&lt;!channel&gt;")
    assert len(built) == 7
    assert built[-1]["type"] == "context"
    assert "3 more topics (4 questions) not shown" in shown
    assert "2 questions the guard flagged" in shown


def test_a_week_without_gaps_says_so() -> None:
    built = knowledge_gap_blocks(_report(gaps=[], more_gaps=0, more_questions=0, flagged=0))

    assert_valid(built)
    assert [block["type"] for block in built] == ["section"]
    assert "No knowledge gaps this week (40 questions asked" in built[0]["text"]["text"]


def test_a_failed_report_says_unavailable_without_the_error() -> None:
    built = knowledge_gap_blocks(
        _report(status="unavailable", reason="StateStoreUnavailableError: secret host down")
    )

    assert_valid(built)
    assert "secret host" not in _text(built)
    assert "unavailable this week (see the run log)" in built[0]["text"]["text"]


def test_the_digest_shows_the_gaps_after_the_specialists_prose() -> None:
    digest = Digest(
        run_id=RUN_ID,
        week_start=None,
        week_end=None,
        prose={"support": "12 tickets."},
        knowledge_gaps=_report(),
    )

    built = digest_blocks(digest)

    assert_valid(built)
    texts = [block.get("text", {}).get("text", "") for block in built]  # type: ignore[union-attr]
    support = next(i for i, text in enumerate(texts) if text.startswith("*Support*"))
    assert texts[support + 2].startswith("*Knowledge gaps*")
