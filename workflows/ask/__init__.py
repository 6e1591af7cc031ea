"""``ask``: a free-text request planned (metrics, analysis, action, clarify, decline) and
answered from the metrics layer and the specialists' tools, every figure computed by code."""

from workflows.ask.answers import Answer, PlanAnswer, plan_explanations
from workflows.ask.dispatch import AskTools, Specialists, plan_answerer
from workflows.ask.run import WORKFLOW, AskContext, answer_request, stored_plans

__all__ = [
    "WORKFLOW",
    "Answer",
    "AskContext",
    "AskTools",
    "PlanAnswer",
    "Specialists",
    "answer_request",
    "plan_explanations",
    "plan_answerer",
    "stored_plans",
]
