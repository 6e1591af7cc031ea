"""Structured output in the three dialects servers speak, and reading the answer back.

``json_schema`` is OpenAI's; ``json_object`` with a ``schema`` is llama.cpp's and vLLM's; a forced
tool call works almost everywhere. ``openai.pydantic_function_tool(schema)`` gives the strict JSON
schema all three use.

The ``openai`` client builds its response objects without validating them, so a server's
malformed 200 (no message, a list for a body, a number for content) arrives as a half-built
object. ``first_choice`` reads the reply through a small typed model of the parts we use, so
anything malformed is a ``LanguageModelOutputError`` (and a fallback), never an AttributeError.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, ValidationError

from integrations.llm.errors import LanguageModelOutputError
from integrations.llm.protocol import SchemaT
from policies.schema import ModelChoice

if TYPE_CHECKING:
    # Types only: the client itself loads with ``openai_compatible``, when a model is set.
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

StructuredMode = Literal["json_schema", "json_object", "tool_call"]
STRUCTURED_MODES: tuple[StructuredMode, ...] = ("json_schema", "json_object", "tool_call")


def chat_messages(system: str, prompt: str) -> list[ChatCompletionMessageParam]:
    """The system and user messages of one request; the model sees nothing else."""
    return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]


def structured_request(
    client: openai.OpenAI,
    mode: StructuredMode,
    choice: ModelChoice,
    system: str,
    prompt: str,
    tool: Any,
) -> Callable[[float], ChatCompletion]:
    """The request for one output mode; ``tool`` is ``openai.pydantic_function_tool(schema)``,
    whose strict JSON schema also serves the two ``response_format`` modes."""
    function = tool["function"]
    name, schema = function["name"], function["parameters"]
    common: dict[str, Any] = {
        "model": choice.model,
        "temperature": choice.temperature,
        "max_tokens": choice.max_tokens,
    }
    if mode == "json_schema":
        common["messages"] = chat_messages(system, prompt)
        common["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": True},
        }
    elif mode == "json_object":
        instruction = (
            f"{system}\n\nReply with one JSON object that matches this JSON schema:\n"
            f"{json.dumps(schema)}"
        )
        common["messages"] = chat_messages(instruction, prompt)
        # Not in OpenAI's spec: llama.cpp and vLLM constrain the output to this schema.
        common["response_format"] = {"type": "json_object", "schema": schema}
    else:
        common["messages"] = chat_messages(f"{system}\n\nAnswer by calling `{name}`.", prompt)
        common["tools"] = [tool]
        common["tool_choice"] = {"type": "function", "function": {"name": name}}

    def send(timeout: float) -> ChatCompletion:
        return cast("ChatCompletion", client.chat.completions.create(**common, timeout=timeout))

    return send


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Function(_Read):
    arguments: str | None = None


class _ToolCall(_Read):
    type: str = "function"
    function: _Function | None = None


class _Message(_Read):
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(_Read):
    message: _Message
    finish_reason: str | None = None


class _Reply(_Read):
    choices: list[_Choice]


def first_choice(completion: ChatCompletion) -> _Choice:
    """The reply's first choice, read as typed values; a malformed reply raises
    ``LanguageModelOutputError``."""
    if isinstance(completion, BaseModel) and not getattr(completion, "choices", None):
        raise LanguageModelOutputError("the language model returned no choices")
    try:
        reply = _Reply.model_validate(completion, from_attributes=True)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        raise LanguageModelOutputError(
            f"the server's reply is not a chat completion ({where}: {first['msg']})"
        ) from None
    if not reply.choices:
        raise LanguageModelOutputError("the language model returned no choices")
    return reply.choices[0]


def reply_text(completion: ChatCompletion) -> str:
    """The prose of a reply ("" when it has none); raises for a malformed or truncated one."""
    choice = first_choice(completion)
    if choice.finish_reason == "length":
        raise LanguageModelOutputError("the reply was cut at max_tokens")
    return choice.message.content or ""


def prose_problem(text: str) -> str | None:
    """Why ``text`` is not prose for a person (a JSON object or array), or None."""
    stripped = _strip_code_fence(text).strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        json.loads(stripped)
    except ValueError:
        return None
    return "the reply is JSON, not prose"


def parse_structured(
    completion: ChatCompletion, mode: StructuredMode, schema: type[SchemaT]
) -> SchemaT:
    """The reply read as ``schema``; raises ``LanguageModelOutputError`` when it is not one."""
    choice = first_choice(completion)
    message = choice.message
    if message.refusal:
        raise LanguageModelOutputError(f"the model refused: {message.refusal}")
    raw: str | None = None
    if mode == "tool_call" and message.tool_calls:
        call = message.tool_calls[0]
        raw = call.function.arguments if call.type == "function" and call.function else None
    if raw is None:
        raw = message.content
    if choice.finish_reason == "length":
        raise LanguageModelOutputError(
            f"the {schema.__name__} answer was cut at max_tokens ({mode})"
        )
    if not raw or not raw.strip():
        raise LanguageModelOutputError(f"no {schema.__name__} in the reply ({mode})")
    try:
        return schema.model_validate_json(_strip_code_fence(raw))
    except ValidationError as error:
        raise LanguageModelOutputError(
            f"the reply is not a valid {schema.__name__} ({mode}): "
            f"{error.error_count()} error(s), first: {error.errors()[0]['msg']}"
        ) from error


def _strip_code_fence(raw: str) -> str:
    """Some servers wrap JSON in a Markdown fence even in JSON mode."""
    text = raw.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text
