"""Knowledge-base speed: ingest time (the help centre, 10,000 synthetic passages) and query latency.

Prints figures; asserts nothing. Run: ``.venv/bin/python bench/rag.py [--chunks 10000]``.
Retrieval latency is one question end to end: rewriting it (spelling, glossary), embedding it,
Chroma's HNSW search and the BM25 fusion, as ``KnowledgeBase.search`` does it.

The Slack path is what a mention or a direct message costs in a worker process: the call the
support listener hands the worker (``bot.work.support_answer``: the support escalation workflow
with the guard, the composed answer, the confidence and the run recorded), warm, on the shipped
help centre and the embedded state store.

The headline figures, against issue 15's Slack-path and issue 5's retrieval targets, go into this
bench's section of ``var/bench/latest.md`` (``bench/figures.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from agents.support.articles import DEFAULT_KB_DIR, Chunk, load_chunks
from agents.support.kb import KnowledgeBase
from bench.figures import Figures
from integrations.vectorstore import ChromaVectorStore, MiniLMEmbeddingFunction

QUERIES = [
    "how long do i have to send something back",
    "do you ship to canada",
    "my zipper broke",
    "can I pay in installments",
    "how do I wash a down jacket",
    "forgot my password",
    "price match amazon",
    "cancel my order",
    "can i call it off, ordered 10 mins ago",
    "where is my reciept for the giftcard",
    # Other languages: the multilingual search (agents/support/crosslingual.py).
    "¿cuánto tarda el reembolso?",
    "Combien coûte la livraison au Canada ?",
    "Wie lange hebt ihr meine Abholbestellung im Laden auf?",
]


def synthetic_chunks(count: int, seed: int = 1) -> list[Chunk]:
    """``count`` passages made by recombining the real ones' sentences (realistic lengths)."""
    real = load_chunks(DEFAULT_KB_DIR)
    sentences = [s.strip() for c in real for s in c.text.split(". ") if len(s) > 20]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sentences), size=(count, 4))
    return [
        Chunk(
            article=f"synthetic-{i // 5}",
            title=f"Synthetic article {i // 5}",
            category="synthetic",
            section=f"Section {i % 5}",
            url=f"/help/synthetic/{i // 5}#section-{i % 5}",
            updated=real[0].updated,
            text=". ".join(sentences[j] for j in row) + ".",
        )
        for i, row in enumerate(picks)
    ]


def timed_ingest(kb: KnowledgeBase, chunks: list[Chunk]) -> float:
    start = time.perf_counter()
    kb.ingest(chunks)
    return time.perf_counter() - start


def slack_path(queries: int, figures: Figures) -> None:
    """p50/p99 of ``work.support_answer`` as the listener's worker calls it."""
    from bench.ask import _offline_settings
    from bot import work
    from controlroom.services import build_services

    with tempfile.TemporaryDirectory() as var:
        services = build_services(_offline_settings(var))
        start = time.perf_counter()
        work.support_answer(services, QUERIES[0], "U0BENCH")
        first = time.perf_counter() - start
        print(f"slack path: first question (ingests the help centre) {first:.1f} s")
        start = time.perf_counter()
        work.support_answer(services, QUERIES[-1], "U0BENCH")
        first = time.perf_counter() - start
        print(f"slack path: first question in another language (its index) {first:.1f} s")
        latencies = []
        for i in range(queries):
            start = time.perf_counter()
            work.support_answer(services, f"{QUERIES[i % len(QUERIES)]} ({i})", "U0BENCH")
            latencies.append((time.perf_counter() - start) * 1000)
        p50, p99 = np.percentile(latencies, [50, 99])
        print(f"slack path: p50 {p50:.0f} ms, p99 {p99:.0f} ms over {queries} questions (warm)")
        measure = f"slack path, {queries:,} questions (warm)"
        figures.add(f"{measure}: p50", p50, "ms", target=("<", 400.0))
        figures.add(f"{measure}: p99", p99, "ms", target=("<", 1_000.0))
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=10_000)
    # p99 over 200 samples is the second-worst one; over 1,000 it is the tenth.
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--slack-only", action="store_true", help="only the Slack path")
    args = parser.parse_args()
    figures = Figures("rag")
    slack_path(args.queries, figures)
    if args.slack_only:
        figures.save()
        return
    embedding = MiniLMEmbeddingFunction(threads=args.threads)
    with tempfile.TemporaryDirectory() as folder:
        kb = KnowledgeBase(ChromaVectorStore.persistent(Path(folder) / "kb", embedding))
        help_centre = load_chunks(DEFAULT_KB_DIR)
        seconds = timed_ingest(kb, help_centre)
        questions = sum(len(c.questions) for c in help_centre)
        print(
            f"help centre: {len(help_centre)} passages and {questions} customers' questions "
            f"ingested in {seconds:.1f} s"
        )
        figures.add(f"help centre ({len(help_centre)} passages): ingest", seconds, "s")

        big = KnowledgeBase(ChromaVectorStore.persistent(Path(folder) / "big", embedding))
        chunks = synthetic_chunks(args.chunks)
        seconds = timed_ingest(big, chunks)
        print(
            f"synthetic: {len(chunks):,} passages ingested in {seconds:.1f} s "
            f"({len(chunks) / seconds:.0f} passages/s)"
        )
        passages = f"{len(chunks):,} passages"
        figures.add(f"{passages}: ingest", len(chunks) / seconds, "passages/s")
        start = time.perf_counter()
        big.search(QUERIES[0], 4)
        first = time.perf_counter() - start
        print(
            f"first query on {len(chunks):,} passages (loads the HNSW index, builds the BM25 "
            f"index and the spelling vocabulary): {first:.2f} s"
        )
        figures.add(f"{passages}: first query (loads the indexes)", first, "s")
        for mode in ("vector", "rrf"):
            big.retrieval = big.retrieval.model_copy(update={"fusion": mode})
            big.search(QUERIES[0], 4)  # warm
            latencies = []
            for i in range(args.queries):
                start = time.perf_counter()
                big.search(QUERIES[i % len(QUERIES)] + f" {i}", 4)
                latencies.append((time.perf_counter() - start) * 1000)
            p50, p99 = np.percentile(latencies, [50, 99])
            print(
                f"query on {len(chunks):,} passages ({mode}): p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                f"over {args.queries} queries"
            )
            measure = f"{passages}, {args.queries:,} queries ({mode})"
            figures.add(f"{measure}: p50", p50, "ms")
            figures.add(f"{measure}: p99", p99, "ms", target=("<", 50.0))
    figures.save()


if __name__ == "__main__":
    main()
