"""``controlroom kb``: build, search, ask and evaluate the support knowledge base."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from controlroom.cli._common import console, services, user_errors
from controlroom.cli._markup import cells, literal, markup

if TYPE_CHECKING:
    from agents.support.evals import EvalFigures, EvalOutcome, Miss
    from agents.support.reliability import Reliability


app = typer.Typer(help="The support knowledge base: ingest, rebuild, search, ask, eval.")

SOURCE = typer.Option(
    None,
    "--source",
    help="Folder of help-centre articles (default: CONTROLROOM_KB_DIR, else knowledge_base/).",
    show_default=False,
)
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
EVAL_SET = typer.Option(
    None,
    "--set",
    help="The evaluation set (YAML; default: agents/support/eval_set.yaml).",
    show_default=False,
)
DEV_SET = typer.Option(
    None,
    "--dev",
    help="The development set (YAML), reported as one group "
    "(default: agents/support/eval_set_dev.yaml).",
    show_default=False,
)


@app.command()
def ingest(source: Path | None = SOURCE) -> None:
    """Upsert the articles' passages; human answers stay as they are."""
    from agents.support import load_chunks
    from controlroom.services import build_knowledge_base, knowledge_base_folder

    with user_errors(), services() as built:
        chunks = load_chunks(source or knowledge_base_folder(built.settings))
        kb = build_knowledge_base(built, bulk=True)
        with built.state.exclusive("knowledge_base"):  # not during another process's rebuild
            report = kb.ingest(chunks)
    console.print(
        f"Ingested {report.chunks} passages from {report.articles} articles with "
        f"{report.questions} customers' questions ({report.removed} stale passages removed, "
        f"{report.human_answers} human answers kept)"
    )


@app.command()
def rebuild(source: Path | None = SOURCE) -> None:
    """Drop the collection, re-ingest the articles and re-add every human answer."""
    from controlroom.services import rebuild_knowledge_base

    with user_errors(), services() as built:
        report = rebuild_knowledge_base(built, source)
    console.print(
        f"Rebuilt: {report.chunks} passages from {report.articles} articles with "
        f"{report.questions} customers' questions, and {report.human_answers} human answers"
    )


@app.command()
def search(
    query: str,
    k: int = typer.Option(5, "-k", min=1, max=50, help="How many passages."),
    as_json: bool = JSON,
) -> None:
    """The best passages for a query, with their scores."""
    from controlroom.services import build_knowledge_base

    with user_errors(), services() as built:
        passages = build_knowledge_base(built).search(query, k)
    if as_json:
        console.print_json(json.dumps([asdict(p) for p in passages]))
        return
    table = Table(title=literal(f"kb search: {query}"))
    for column in ("#", "article › section", "similarity", "BM25", "fused", "url"):
        table.add_column(column)
    for rank, p in enumerate(passages, 1):
        table.add_row(
            *cells(
                rank,
                f"{p.title} › {p.section}",
                f"{p.similarity:.3f}",
                f"{p.lexical:.2f}",
                f"{p.fused:.4f}",
                p.url,
            )
        )
    console.print(table)


@app.command()
def ask(question: str, as_json: bool = JSON) -> None:
    """Answer a question offline: the reply, its sources, the confidence and the decision."""
    from agents.support import answer
    from controlroom.services import build_knowledge_base

    with user_errors(), services() as built:
        policy = built.policies.support
        result = answer(question, build_knowledge_base(built), policy)
    if as_json:
        payload = {
            "question": result.question,
            "answer": result.text,
            "confidence": round(result.confidence, 4),
            "escalate": result.escalate,
            "reasons": list(result.reasons),
            "sources": [asdict(s) for s in result.sources],
            "evidence": asdict(result.evidence),
            "guard": {
                "risk": result.guard.risk,
                "signals": [list(s) for s in result.guard.signals],
            },
        }
        console.print_json(json.dumps(payload))
        return
    decision = "[yellow]escalate to a person[/]" if result.escalate else "[green]answer directly[/]"
    console.print(result.text, highlight=False, markup=False)
    console.print(
        f"\nconfidence {result.confidence:.2f} (threshold {policy.confidence_threshold:.2f}): "
        f"{decision}"
    )
    if result.reasons:
        console.print(literal(f"reasons: {', '.join(result.reasons)}"))


@app.command()
def learn(
    question: str,
    text: str = typer.Argument(..., metavar="ANSWER"),
    author: str = typer.Option(..., "--author", help="Who wrote or approved the answer."),
) -> None:
    """Add a person's answer to the knowledge base now (kept in the state store for rebuilds)."""
    from agents.support import learn_from_human
    from controlroom.services import build_knowledge_base

    with user_errors(), services() as built:
        kept = learn_from_human(
            build_knowledge_base(built), built.state, question, text, author=author
        )
    console.print(literal(f"Learnt answer {kept.answer_id} by {kept.author}"))


@app.command(name="eval")
def eval_(
    eval_set: Path | None = EVAL_SET,
    source: Path | None = SOURCE,
    dev_set: Path | None = DEV_SET,
    fit: bool = typer.Option(
        False,
        "--fit",
        help="Fit calibration and threshold on the calibration half and the dev set; print them.",
    ),
    show_misses: bool = typer.Option(
        False,
        "--misses",
        help="List the questions retrieval gets wrong in the calibration half and the "
        "development set (never the held-out half).",
    ),
    as_json: bool = JSON,
) -> None:
    """hit@1, hit@3 and the answered / escalated shares at the threshold, per split."""
    from agents.support import load_chunks
    from agents.support.evals import (
        DEFAULT_DEV_SET,
        DEFAULT_EVAL_SET,
        evaluate,
        load_eval_set,
        misses,
        threshold_sweep,
    )
    from agents.support.fitting import fit_on_calibration_split
    from controlroom.services import build_knowledge_base, knowledge_base_folder

    with user_errors(), services() as built:
        policy = built.policies.support
        chunks = load_chunks(source or knowledge_base_folder(built.settings))
        kb = build_knowledge_base(built, bulk=True)  # 600 questions embedded in batches
        if kb.store.count(kb.collection) == 0:
            kb.ingest(chunks)
        articles = {c.article for c in chunks}
        cases = load_eval_set(eval_set or DEFAULT_EVAL_SET, articles=articles)
        dev_cases = load_eval_set(dev_set or DEFAULT_DEV_SET, articles=articles)
        report = evaluate(cases, kb, policy, dev_cases=dev_cases)
        if fit:
            fitted = fit_on_calibration_split(report.outcomes, dev_outcomes=report.dev_outcomes)
            policy = policy.model_copy(
                update={
                    "calibration": fitted.calibration,
                    "cross_lingual": fitted.cross_lingual,
                    "confidence_threshold": fitted.threshold,
                }
            )
            report = evaluate(cases, kb, policy, dev_cases=dev_cases)
    groups = {"overall": report.overall, "calibration": report.calibration}
    groups["held-out"] = report.held_out
    if report.dev is not None:
        groups["dev"] = report.dev
    held_out = _reliability([o for o in report.outcomes if o.case.split == "held_out"])
    if as_json:
        payload = {
            "threshold": report.threshold,
            "fusion": report.fusion,
            "calibration_weights": policy.calibration.model_dump(),
            "cross_lingual_weights": policy.cross_lingual.model_dump(),
            **{name: asdict(figures) for name, figures in groups.items()},
            "held_out_reliability": asdict(held_out),
        }
        if show_misses:
            payload["misses"] = [asdict(m) | {"in_top_3": m.in_top_3} for m in misses(report)]
        console.print_json(json.dumps(payload))
        return
    _print_figures(groups, report.threshold, report.fusion)
    _print_reliability(held_out)
    if show_misses:
        _print_misses(misses(report))
    sweep = Table(title="trade-off by threshold (answered directly / escalated)")
    for column in ("threshold", "calibration", "held-out"):
        sweep.add_column(column)
    for t, cal, held in threshold_sweep(report.outcomes, [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]):
        sweep.add_row(
            f"{t:.2f}",
            f"{cal.answered_directly:.2f} / {cal.escalated:.2f}",
            f"{held.answered_directly:.2f} / {held.escalated:.2f}",
        )
    console.print(sweep)
    if fit:
        weights, cross = (
            ", ".join(f"{k}: {v}" for k, v in c.model_dump().items())
            for c in (policy.calibration, policy.cross_lingual)
        )
        console.print(
            f"fitted on the calibration half{' and the dev set' if report.dev else ''} — "
            f"put in policies/support.yaml: "
            f"confidence_threshold: {policy.confidence_threshold}; calibration: {{{weights}}}; "
            f"cross_lingual: {{{cross}}}"
        )


def _reliability(outcomes: list[EvalOutcome]) -> Reliability:
    """Confidence against whether the customer got the fact (unanswerable: never right)."""
    from agents.support.reliability import reliability

    return reliability(
        [o.result.confidence for o in outcomes], [o.answer_correct for o in outcomes]
    )


def _print_reliability(found: Reliability) -> None:
    table = Table(
        title=literal(
            "held-out reliability: confidence vs answers stating the fact "
            f"(ECE {found.expected_calibration_error:.3f})"
        )
    )
    for column in ("confidence", "questions", "mean confidence", "right"):
        table.add_column(column, justify="right")
    for b in found.bins:
        table.add_row(
            f"{b.low:.1f}-{b.high:.1f}",
            str(b.questions),
            f"{b.mean_confidence:.3f}",
            f"{b.right:.3f}",
        )
    console.print(table)


def _print_misses(found: list[Miss]) -> None:
    table = Table(
        title="answers without the fact asked for: calibration half and dev set "
        "(held-out never shown)"
    )
    for column in ("set", "question", "expected", "fact", "found (top 3)"):
        table.add_column(column)
    for miss in found:
        mark = "" if miss.in_top_3 else "[red]not in top 3[/] "
        found_cell = markup(mark + "{found}", found=", ".join(miss.found))
        table.add_row(*cells(miss.group, miss.question, miss.expected, miss.fact), found_cell)
    console.print(table)


def _print_figures(groups: dict[str, EvalFigures], threshold: float, fusion: str) -> None:
    table = Table(
        title=literal(f"support KB evaluation (threshold {threshold:.2f}, fusion {fusion})")
    )
    columns = ("split", "questions", "hit@1", "hit@3", "answered", "escalated", "right", "fact")
    for column in columns:
        table.add_column(column, justify="right")
    for name, f in groups.items():
        table.add_row(
            literal(name),
            f"{f.answerable} + {f.unanswerable}",
            f"{f.hit_at_1:.3f}",
            f"{f.hit_at_3:.3f}",
            f"{f.answered_directly:.3f}",
            f"{f.escalated:.3f}",
            f"{f.correct_when_answered:.3f}",
            f"{f.fact_stated:.3f}",
        )
    console.print(table)
    console.print(
        "answered: share of answerable questions answered directly; escalated: share of "
        "unanswerable ones sent to a person; right: share of direct answers stating the fact "
        "asked for; fact: share of all answers to answerable questions stating it"
    )
