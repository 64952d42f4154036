"""A client for any OpenAI-compatible ``/v1/chat/completions`` endpoint (Ollama,
llama.cpp's server, vLLM, a hosted API), with httpx and no vendor SDK.

Every call has a deadline (a :func:`time.monotonic` instant): a 429, a 5xx, a
timeout or a dropped connection is retried with exponential backoff (or the
server's Retry-After) while time remains, and no call outlives the deadline, however
slowly a server answers: each attempt is bounded by :func:`asyncio.timeout`, not
only by httpx's per-read timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from digest.editorial.rewrite import Message
from digest.errors import DigestError

#: First backoff after a retryable failure, doubled each time, at most :data:`MAX_BACKOFF`.
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
_RETRYABLE = {408, 409, 425, 429}


class ModelError(DigestError):
    """The model gave no usable answer; ``reason`` is the metric's label (timeout,
    deadline, http_429, http_500, unreachable, bad_answer)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Completion:
    """One answer: its text, why it stopped, the tokens the server reports (None
    when it reports none), how long it took and how many attempts."""

    text: str
    finish_reason: str
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    attempts: int = 1

    @property
    def truncated(self) -> bool:
        """The server stopped at its token limit."""
        return self.finish_reason == "length"


@dataclass(frozen=True)
class Endpoint:
    """Where and how to call the model (``[summarize]``; the key read from the env)."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_seconds: float = 30.0
    temperature: float = 0.0


class ChatClient:
    """Calls one endpoint; use as an async context manager (one connection pool)."""

    def __init__(self, endpoint: Endpoint, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.endpoint = endpoint
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        self._http = httpx.AsyncClient(headers=headers, transport=transport, trust_env=False)
        self.url = endpoint.base_url.rstrip("/") + "/chat/completions"

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def complete(self, messages: Sequence[Message], *, deadline: float) -> Completion:
        """The model's answer to ``messages``, retried until ``deadline``; ModelError
        when there is none by then (or the server refuses the request for good)."""
        body = {
            "model": self.endpoint.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": self.endpoint.temperature,
            "stream": False,
        }
        started = time.monotonic()
        backoff = FIRST_BACKOFF
        attempts = 0
        last = ModelError("no time left for a call", reason="deadline")
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise last
            attempts += 1
            wait = backoff
            try:
                async with asyncio.timeout(min(self.endpoint.timeout_seconds, remaining)):
                    response = await self._http.post(self.url, json=body, timeout=self.endpoint.timeout_seconds)
            except TimeoutError:
                last = ModelError(f"no answer within {self.endpoint.timeout_seconds:g} s", reason="timeout")
            except httpx.TimeoutException:
                last = ModelError(f"no answer within {self.endpoint.timeout_seconds:g} s", reason="timeout")
            except httpx.TransportError as exc:
                last = ModelError(f"cannot reach {self.url}: {type(exc).__name__}", reason="unreachable")
            else:
                status = response.status_code
                if status == 200:
                    return _completion(response, time.monotonic() - started, attempts)
                last = ModelError(f"{self.url} answered {status}", reason=f"http_{status}")
                if status < 500 and status not in _RETRYABLE:
                    raise last
                wait = max(backoff, _retry_after(response))
            if time.monotonic() + wait >= deadline:
                raise last
            await asyncio.sleep(wait)
            backoff = min(backoff * 2, MAX_BACKOFF)


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("retry-after", "0")), MAX_BACKOFF * 6)
    except ValueError:
        return 0.0


def _completion(response: httpx.Response, seconds: float, attempts: int) -> Completion:
    try:
        data: Any = response.json()
        choice = data["choices"][0]
        text = choice["message"]["content"]
        if not isinstance(text, str):
            raise TypeError("content is not text")
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModelError(f"unreadable answer: {exc}", reason="bad_answer") from None
    usage = data.get("usage") if isinstance(data, dict) else None
    usage = usage if isinstance(usage, dict) else {}
    prompt_tokens = usage.get("prompt_tokens")
    completion_tokens = usage.get("completion_tokens")
    return Completion(
        text,
        str(choice.get("finish_reason") or ""),
        prompt_tokens if isinstance(prompt_tokens, int) else None,
        completion_tokens if isinstance(completion_tokens, int) else None,
        seconds,
        attempts,
    )
