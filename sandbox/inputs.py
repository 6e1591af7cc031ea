"""What a person enters in a modal (or a Home tab): ``view.state.values`` in Slack's shape, and
the checks Slack's client makes before it sends a submission at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox import payloads

# What the page sends: block id -> action id -> the value, option value or values chosen.
Values = Mapping[str, Mapping[str, Any]]


def state_values(view: Mapping[str, Any], values: Values) -> dict[str, Any]:
    """``view.state.values``: every input of the view, with what the person entered."""
    state: dict[str, Any] = {}
    for block_id, element in payloads.elements(view.get("blocks") or []):
        if element.get("type") not in payloads.INPUT_ELEMENTS:
            continue
        action_id = str(element.get("action_id"))
        chosen = (values.get(block_id) or {}).get(action_id, element.get("initial_value"))
        state.setdefault(block_id, {})[action_id] = payloads.state_value(element, chosen)
    return state


def input_problems(view: Mapping[str, Any], values: Values) -> dict[str, str]:
    """What Slack's client refuses before sending a submission: empty required fields, numbers
    that are not numbers or out of range, text too short or too long."""
    problems: dict[str, str] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input" or not block.get("element"):
            continue
        element, block_id = block["element"], str(block.get("block_id"))
        chosen = (values.get(block_id) or {}).get(str(element.get("action_id")))
        if chosen in (None, "", []):
            if not block.get("optional"):
                problems[block_id] = "Please fill out this field."
            continue
        problem = _element_problem(element, chosen)
        if problem:
            problems[block_id] = problem
    return problems


def _element_problem(element: Mapping[str, Any], chosen: Any) -> str | None:
    kind = element.get("type")
    if kind == "number_input":
        try:
            number = float(chosen)
        except (TypeError, ValueError):
            return "Please enter a number."
        if not element.get("is_decimal_allowed") and not number.is_integer():
            return "Please enter a whole number."
        low, high = element.get("min_value"), element.get("max_value")
        if low is not None and number < float(low):
            return f"Please enter a number of at least {low}."
        if high is not None and number > float(high):
            return f"Please enter a number of at most {high}."
    if kind == "plain_text_input":
        low, high = element.get("min_length"), element.get("max_length")
        if low is not None and len(str(chosen)) < int(low):
            return f"Please enter at least {low} characters."
        if high is not None and len(str(chosen)) > int(high):
            return f"Please enter at most {high} characters."
    return None
