"""A paused run survives its process: checkpoints on SQLite and on real PostgreSQL."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from workflows.runtime import open_checkpointer, run_config


class _State(TypedDict, total=False):
    proposal: str
    decision: str
    sent: bool


def _graph() -> StateGraph[_State]:
    def propose(state: _State) -> _State:
        return {"proposal": "15% off for 312 customers"}

    def approve(state: _State) -> _State:
        return {"decision": interrupt({"proposal": state["proposal"]})}

    def send(state: _State) -> _State:
        return {"sent": state["decision"] == "approve"}

    graph: StateGraph[_State] = StateGraph(_State)
    graph.add_node("propose", propose)
    graph.add_node("approve", approve)
    graph.add_node("send", send)
    graph.add_edge(START, "propose")
    graph.add_edge("propose", "approve")
    graph.add_edge("approve", "send")
    graph.add_edge("send", END)
    return graph


def test_a_run_paused_for_approval_resumes_from_a_new_checkpointer(database_url: str) -> None:
    with open_checkpointer(database_url) as saver:
        paused = _graph().compile(checkpointer=saver).invoke({}, run_config("run-1"))
    assert paused["__interrupt__"][0].value == {"proposal": "15% off for 312 customers"}

    # A new checkpointer, as after a restart: the run continues where it stopped.
    with open_checkpointer(database_url) as saver:
        graph = _graph().compile(checkpointer=saver)
        assert graph.get_state(run_config("run-1")).next == ("approve",)
        final = graph.invoke(Command(resume="approve"), run_config("run-1"))
    assert final == {"proposal": "15% off for 312 customers", "decision": "approve", "sent": True}


def test_runs_are_kept_apart_by_their_ids(database_url: str) -> None:
    with open_checkpointer(database_url) as saver:
        graph = _graph().compile(checkpointer=saver)
        graph.invoke({}, run_config("a"))
        graph.invoke({}, run_config("b"))
        graph.invoke(Command(resume="reject"), run_config("a"))
        assert graph.get_state(run_config("a")).values["sent"] is False
        assert graph.get_state(run_config("b")).next == ("approve",)
