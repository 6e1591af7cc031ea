"""Any OpenAI-compatible chat server — OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp — through the
official ``openai`` client.

One call to the model is bounded by ``models.yaml``'s ``timeout_seconds``, retries included:
each attempt gets what is left of that budget, and no retry starts that could not finish in it.
Transient faults (429, 5xx, timeouts, lost connections) are retried by tenacity with exponential
backoff and jitter, honouring ``Retry-After``; the client's own retries are off so there is one
retry policy. A circuit breaker (pybreaker) opens after ``RetryPolicy.breaker_failures``
consecutive failed attempts, and then calls fail at once until ``breaker_reset_seconds`` pass.

Structured output tries ``response_format={"type": "json_schema"}``, then ``json_object`` with a
``schema`` (llama.cpp's dialect), then a forced tool call, and remembers which one the server
took. While a mode is being probed, an HTTP 400/404/422/500/501 means "not supported here"
(llama.cpp answers 500 to ``json_schema``): it is not retried and does not count against the
breaker.

Whatever comes back, a call either returns usable output or raises ``LanguageModelError``: a 200
whose body is not JSON, or not a chat completion, is a ``LanguageModelOutputError``. Every call
that falls back (``write_slots`` giving the offline text, ``structured`` raising for the caller's
rules) is noted on the meter, so the run's audit log says the model's reply was refused or
unavailable.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence

import openai
import pybreaker
from openai.types.chat import ChatCompletion
from pydantic import SecretStr
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from integrations.llm.errors import (
    LanguageModelError,
    LanguageModelOutputError,
    LanguageModelUnavailable,
)
from integrations.llm.meter import CostMeter
from integrations.llm.protocol import SchemaT, Written
from integrations.llm.retrying import (
    MIN_ATTEMPT_SECONDS,
    Backoff,
    RetryPolicy,
    StopAt,
    is_transient,
    log_retry,
)
from integrations.llm.slot_writer import write_with_slots
from integrations.llm.slots import Fact, SlotText
from integrations.llm.structured_output import (
    STRUCTURED_MODES,
    StructuredMode,
    chat_messages,
    parse_structured,
    prose_problem,
    reply_text,
    structured_request,
)
from integrations.urls import mask_url
from policies.schema import AgentName, ModelsPolicy

logger = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers (llama.cpp, Ollama, vLLM) ignore the key, but the client insists on one.
_PLACEHOLDER_KEY = "not-needed"
# While probing an output mode, these statuses mean "this server does not do that".
_MODE_REFUSED_STATUSES = frozenset({400, 404, 422, 500, 501})


class _Refused(Exception):
    """The server answered a request it would not serve (4xx, or a probed mode's 500)."""

    def __init__(self, error: openai.APIStatusError) -> None:
        super().__init__(str(error))
        self.error = error


class _Connection:
    """What every metered view of one server shares: client, breaker, learned output mode."""

    def __init__(
        self, *, api_key: str, base_url: str, timeout_seconds: float, retry: RetryPolicy
    ) -> None:
        self.base_url = base_url
        self.where = mask_url(base_url)  # for logs and errors: no credentials
        self.timeout_seconds = timeout_seconds
        self.retry = retry
        self.client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=0
        )
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=retry.breaker_failures,
            reset_timeout=retry.breaker_reset_seconds,
            name=f"language model at {self.where}",
        )
        self._lock = threading.Lock()
        self._mode: StructuredMode | None = None

    @property
    def mode(self) -> StructuredMode | None:
        with self._lock:
            return self._mode

    def remember(self, mode: StructuredMode) -> None:
        with self._lock:
            if self._mode != mode:
                logger.info("%s takes structured output as %s", self.where, mode)
            self._mode = mode


class OpenAICompatibleModel:
    """The ``LanguageModel`` for an OpenAI-compatible server; see the module docstring."""

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        base_url: str | None,
        models: ModelsPolicy,
        retry: RetryPolicy | None = None,
        meter: CostMeter | None = None,
        structured_mode: StructuredMode | None = None,
    ) -> None:
        """``structured_mode`` pins the output mode for a server known to take it; by default the
        first structured call finds it out."""
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._models = models
        self._connection = _Connection(
            api_key=key or _PLACEHOLDER_KEY,
            base_url=base_url or OPENAI_BASE_URL,
            timeout_seconds=models.timeout_seconds,
            retry=retry or RetryPolicy(),
        )
        if structured_mode is not None:
            self._connection.remember(structured_mode)
        self._meter = meter if meter is not None else CostMeter()

    @property
    def meter(self) -> CostMeter:
        """Where this view records tokens and dollars."""
        return self._meter

    @property
    def structured_mode(self) -> StructuredMode | None:
        """The structured-output mode this server accepted, once one has."""
        return self._connection.mode

    def metered(self, meter: CostMeter) -> OpenAICompatibleModel:
        """This model, sharing connection and breaker, recording into ``meter``."""
        view = copy.copy(self)
        view._meter = meter
        return view

    def close(self) -> None:
        """Close the HTTP client shared by every view."""
        self._connection.client.close()

    def write_slots(
        self,
        agent: AgentName,
        system: str,
        prompt: str,
        facts: Sequence[Fact],
        *,
        offline: SlotText,
        mrkdwn: bool = True,
    ) -> Written:
        """The model's slot text, re-asked once when refused, else ``offline``; each ask has the
        call's whole time budget (``slot_writer`` holds the conversation)."""
        return write_with_slots(
            lambda system_text, prompt_text: self._prose(agent, system_text, prompt_text),
            agent,
            system,
            prompt,
            facts,
            offline=offline,
            meter=self._meter,
            mrkdwn=mrkdwn,
        )

    def _prose(self, agent: AgentName, system: str, prompt: str) -> str:
        """One prose request within the call's budget; raises ``LanguageModelError`` when no
        prose comes back (unavailable, garbled, truncated, or JSON instead of words)."""
        choice = self._models.agents[agent]
        deadline = time.monotonic() + self._connection.timeout_seconds
        completion = self._request(
            agent,
            lambda timeout: self._connection.client.chat.completions.create(
                model=choice.model,
                messages=chat_messages(system, prompt),
                temperature=choice.temperature,
                max_tokens=choice.max_tokens,
                timeout=timeout,
            ),
            deadline=deadline,
            probing=False,
        )
        text = reply_text(completion)
        problem = prose_problem(text)
        if problem is not None:
            raise LanguageModelOutputError(problem)
        return text

    def structured(
        self, agent: AgentName, system: str, prompt: str, schema: type[SchemaT]
    ) -> SchemaT:
        """An instance of ``schema`` from the first output mode this server accepts."""
        try:
            return self._structured(agent, system, prompt, schema)
        except LanguageModelError as error:
            self._fell_back(agent, error)
            raise

    def _fell_back(self, agent: AgentName, error: LanguageModelError) -> None:
        if isinstance(error, LanguageModelUnavailable):
            self._meter.record_fallback(agent, "unavailable", str(error))
        else:
            self._meter.record_fallback(agent, "refused", str(error))

    def _structured(
        self, agent: AgentName, system: str, prompt: str, schema: type[SchemaT]
    ) -> SchemaT:
        choice = self._models.agents[agent]
        tool = openai.pydantic_function_tool(schema)
        known = self._connection.mode
        modes = (known,) if known else STRUCTURED_MODES
        deadline = time.monotonic() + self._connection.timeout_seconds
        for index, mode in enumerate(modes):
            probing = known is None and index < len(modes) - 1
            send = structured_request(self._connection.client, mode, choice, system, prompt, tool)
            try:
                completion = self._request(
                    agent,
                    send,
                    deadline=deadline,
                    probing=probing,
                )
            except _Refused as refused:
                logger.info(
                    "%s: %s refused %s output (HTTP %s); trying the next mode",
                    agent,
                    self._connection.where,
                    mode,
                    refused.error.status_code,
                )
                continue
            self._connection.remember(mode)
            return parse_structured(completion, mode, schema)
        # Unreachable: the last mode is never probed, so its refusal raises in _request.
        raise LanguageModelUnavailable(
            f"{agent}: no structured output mode accepted", cause="rejected"
        )

    def _request(
        self,
        agent: AgentName,
        send: Callable[[float], ChatCompletion],
        *,
        deadline: float,
        probing: bool,
    ) -> ChatCompletion:
        """One call with retries, the breaker and the deadline; records usage in the meter."""
        connection = self._connection

        def attempt() -> ChatCompletion:
            remaining = deadline - time.monotonic()
            if remaining < MIN_ATTEMPT_SECONDS:
                raise LanguageModelUnavailable(
                    f"{agent}: no time left for another attempt "
                    f"(budget {connection.timeout_seconds:g} s)",
                    cause="timeout",
                )
            refused: openai.APIStatusError | None = None
            garbled: Exception | None = None
            with connection.breaker.calling():
                try:
                    return send(remaining)
                except openai.APIStatusError as error:
                    if is_transient(error) and not (
                        probing and error.status_code in _MODE_REFUSED_STATUSES
                    ):
                        raise
                    # The server is up and said no: not a failure for the breaker.
                    refused = error
                except (json.JSONDecodeError, openai.APIResponseValidationError) as error:
                    # The server is up and answered garbage: the caller falls back.
                    garbled = error
            if garbled is not None:
                raise LanguageModelOutputError(
                    f"{agent}: the server's reply is not JSON ({type(garbled).__name__})"
                ) from garbled
            assert refused is not None
            raise _Refused(refused)

        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(connection.retry.attempts) | StopAt(deadline),
            wait=Backoff(connection.retry),
            before_sleep=log_retry(agent),
            reraise=True,
        )
        try:
            completion = retrying(attempt)
        except _Refused as refused:
            if probing:
                raise
            raise LanguageModelUnavailable(
                f"{agent}: the language model refused the request "
                f"(HTTP {refused.error.status_code}: {_short(refused.error)})",
                cause="rejected",
            ) from refused.error
        except pybreaker.CircuitBreakerError as error:
            raise LanguageModelUnavailable(
                f"{agent}: language model unavailable, circuit breaker open ({error})",
                cause="breaker_open",
            ) from error
        except openai.APITimeoutError as error:
            raise LanguageModelUnavailable(
                f"{agent}: language model timed out "
                f"(budget {connection.timeout_seconds:g} s per call)",
                cause="timeout",
            ) from error
        except openai.APIError as error:
            raise LanguageModelUnavailable(
                f"{agent}: language model unavailable after retries ({_short(error)})",
                cause="retries_exhausted",
            ) from error
        self._record(agent, completion)
        return completion

    def _record(self, agent: AgentName, completion: ChatCompletion) -> None:
        # Read defensively: the client does not validate the body, and a call that answered
        # garbage still counts (its reply is refused later, by whoever reads it).
        usage = getattr(completion, "usage", None)
        prompt_tokens = getattr(usage, "prompt_tokens", None)
        completion_tokens = getattr(usage, "completion_tokens", None)
        if not (isinstance(prompt_tokens, int) and isinstance(completion_tokens, int)):
            logger.debug("%s: the server reported no usable token usage", agent)
            prompt_tokens = completion_tokens = 0
        self._meter.record(agent, self._models.agents[agent], prompt_tokens, completion_tokens)


def _short(error: openai.APIError) -> str:
    status = getattr(error, "status_code", None)
    kind = type(error).__name__
    return f"{kind} {status}" if status else kind
