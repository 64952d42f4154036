"""Ask the model for the stories of an edition ahead of its send, within a deadline,
paying once: answers already cached are read, the others are asked for with at most
``max_concurrency`` calls at a time, judged by the guard, cached with its verdict,
counted in /metrics and logged per story. Whatever has no answer by the deadline keeps
its extractive summary; nothing here ever waits past it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from digest import metrics
from digest.editorial.rewrite import Answer, RewriteKey, RewriteOptions, RewriteRequest, judge
from digest.language_model.client import ChatClient, Completion, Endpoint, ModelError
from digest.store import Store
from digest.store.rewrites import StoredRewrite, find_rewrites, save_rewrite

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class AheadReport:
    """What one pass did: answers read from the cache, calls made, and per story the
    reason it keeps its extract (a guard reason, a call's error, or ``deadline``)."""

    cached: int = 0
    called: int = 0
    accepted: int = 0
    fallbacks: dict[RewriteKey, str] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)  # of each answered call
    prompt_tokens: int = 0  # as the server reported them
    completion_tokens: int = 0


def _key(key: RewriteKey) -> tuple[str, str, str, str, str]:
    return (key.content_hash, key.style, key.language, key.model, key.prompt_version)


def run_coroutine(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end from synchronous code, in a thread of its own when
    this one already runs an event loop (the web app's)."""

    async def main() -> T:
        return await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def rewrite_ahead(
    store: Store | None,
    endpoint: Endpoint,
    options: RewriteOptions,
    requests: Sequence[RewriteRequest],
    *,
    now: datetime,
    deadline: float,
    max_concurrency: int = 2,
) -> tuple[dict[RewriteKey, Answer], AheadReport]:
    """The answers to ``requests`` (cached or new), the calls stopped at ``deadline``
    (a :func:`time.monotonic` instant).

    ``store`` None: no cache (``digest summarize --backend openai``). ``now`` dates the
    cached rows. Returns the answers by key and a report of what happened.
    """
    report = AheadReport()
    answers: dict[RewriteKey, Answer] = {}
    unique = list({r.key: r for r in requests}.values())
    if store is not None and unique:
        for stored in find_rewrites(store, [_key(r.key) for r in unique]).values():
            answers[RewriteKey(*stored.key)] = Answer(stored.answer, stored.truncated)
        report.cached = len(answers)
        if answers:
            metrics.rewrite_cache_hit(len(answers))
    missing = [r for r in unique if r.key not in answers]
    if not missing:
        return answers, report
    results = run_coroutine(lambda: _ask_all(endpoint, missing, deadline, max_concurrency))
    for request, result in zip(missing, results, strict=True):
        if isinstance(result, ModelError):
            report.fallbacks[request.key] = result.reason
            if result.reason != "deadline":
                report.called += 1
                metrics.model_call(result.reason)
            metrics.rewrite_fallback(result.reason, rejected=False)
            log.warning(
                "rewrite: no answer, the extract stays",
                extra={"article_id": request.article_id, "style": request.key.style, "reason": result.reason},
            )
            continue
        report.called += 1
        report.seconds.append(result.seconds)
        report.prompt_tokens += result.prompt_tokens or 0
        report.completion_tokens += result.completion_tokens or 0
        metrics.model_call(
            "ok",
            seconds=result.seconds,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
        )
        answer = Answer(result.text, result.truncated)
        answers[request.key] = answer
        verdict = judge(request, answer, options)
        if verdict.accepted:
            report.accepted += 1
            log.info("rewrite accepted", extra={"article_id": request.article_id, "style": request.key.style})
        else:
            report.fallbacks[request.key] = verdict.reason
            metrics.rewrite_fallback(verdict.reason, rejected=True)
            log.warning(
                "rewrite refused by the guard, the extract stays",
                extra={
                    "article_id": request.article_id,
                    "style": request.key.style,
                    "reason": verdict.reason,
                    "detail": verdict.detail,
                },
            )
        if store is not None:
            save_rewrite(store, _stored(request, result, verdict.accepted, verdict.reason, verdict.detail, now))
    return answers, report


def _stored(
    request: RewriteRequest, result: Completion, accepted: bool, reason: str, detail: str, now: datetime
) -> StoredRewrite:
    k = request.key
    return StoredRewrite(
        content_hash=k.content_hash,
        style=k.style,
        language=k.language,
        model=k.model,
        prompt_version=k.prompt_version,
        article_id=request.article_id,
        source="\n".join(request.source),
        answer=result.text,
        truncated=result.truncated,
        accepted=accepted,
        reason=reason,
        detail=detail,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        milliseconds=round(result.seconds * 1000),
        created_at=now,
    )


async def _ask_all(
    endpoint: Endpoint,
    requests: Sequence[RewriteRequest],
    deadline: float,
    max_concurrency: int,
) -> list[Completion | ModelError]:
    """Every request's completion or error; those not done at ``deadline`` are
    cancelled and get a ``deadline`` error."""
    gate = asyncio.Semaphore(max(1, max_concurrency))
    out: list[Completion | ModelError] = [ModelError("not asked before the deadline", reason="deadline")] * len(
        requests
    )
    async with ChatClient(endpoint) as client:

        async def one(i: int, request: RewriteRequest) -> None:
            async with gate:
                try:
                    out[i] = await client.complete(request.messages, deadline=deadline)
                except ModelError as exc:
                    out[i] = exc

        tasks = [asyncio.create_task(one(i, r)) for i, r in enumerate(requests)]
        _done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()) + 0.05)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
    return out
