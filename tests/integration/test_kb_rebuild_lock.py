"""A knowledge-base rebuild against the Chroma server, run as its own process (``controlroom kb
rebuild``), beside another process writing: the state store's lock keeps them apart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import policies
from agents.support import DEFAULT_KB_DIR, HumanAnswer, KnowledgeBase, answer, load_chunks
from integrations.statestore import StateStore
from integrations.vectorstore import ChromaVectorStore
from policies import load_policies

REPO = Path(__file__).resolve().parents[2]
UNKNOWN = "do you rent snowshoes for the weekend"
HUMAN_REPLY = "We don't rent gear, but our Boulder store keeps a list of local rental shops."
pytestmark = pytest.mark.slow


def test_kb_rebuild_against_the_server_waits_while_another_process_writes_the_knowledge_base(
    served_kb: str, postgres_database_url: str
) -> None:
    policy = load_policies(Path(policies.__file__).parent).support
    # Every worker shares the Chroma server: a rebuild (drop, re-ingest, re-add the answers the
    # state store keeps) waits for the lock another process holds while it writes (here: this
    # test), then keeps what that process learnt.
    state = StateStore(postgres_database_url)
    state.migrate()
    kb = KnowledgeBase(ChromaVectorStore.server(served_kb), policy.retrieval)
    python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    environment = {
        **os.environ,
        "PYTHONPATH": python_path,
        "CHROMA_URL": served_kb,
        "DATABASE_URL": postgres_database_url,
    }
    try:
        with state.exclusive("knowledge_base"):
            rebuild = subprocess.Popen(
                [sys.executable, "-m", "controlroom.cli", "kb", "rebuild"],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            _wait_until_a_lock_is_awaited(state, rebuild)
            # What ``learn_from_human`` writes, without taking the lock this test holds.
            revision = kb.store.revision(kb.collection)
            human = HumanAnswer(
                "snowshoes", UNKNOWN, HUMAN_REPLY, "maya", datetime(2026, 11, 1, tzinfo=UTC)
            )
            state.add_kb_answer(
                human.answer_id,
                question=human.question,
                answer=human.answer,
                author=human.author,
                approved_at=human.approved_at,
            )
            kb.add_human_answer(human)
            assert kb.store.revision(kb.collection) != revision  # written while it waits
        output, _ = rebuild.communicate(timeout=300)
    finally:
        if rebuild.poll() is None:
            rebuild.kill()
        state.close()

    assert rebuild.returncode == 0, output
    rebuilt = KnowledgeBase(ChromaVectorStore.server(served_kb), policy.retrieval)
    chunks = load_chunks(DEFAULT_KB_DIR)
    questions = sum(len(c.questions) for c in chunks)
    assert rebuilt.store.count(rebuilt.collection) == len(chunks) + questions + 1
    result = answer(UNKNOWN, rebuilt, policy)
    assert not result.escalate and result.sources[0].author == "maya"


def _wait_until_a_lock_is_awaited(state: StateStore, process: subprocess.Popen[str]) -> None:
    """Until a session of this database waits for an advisory lock (PostgreSQL's view)."""
    waiting = sa.text(
        "SELECT count(*) FROM pg_locks JOIN pg_database ON pg_database.oid = pg_locks.database "
        "WHERE locktype = 'advisory' AND NOT granted AND datname = current_database()"
    )
    deadline = time.monotonic() + 120
    while True:
        with state.engine.connect() as connection:
            if connection.execute(waiting).scalar_one():
                return
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"kb rebuild exited without waiting for the lock:\n{output}")
        assert time.monotonic() < deadline, "kb rebuild did not wait for the lock within 120 s"
        time.sleep(0.2)
