"""The operator's own language model, behind the Summarizer seam: the HTTP client
(:mod:`~digest.language_model.client`), the calls made ahead of the send within a
deadline and cached (:mod:`~digest.language_model.ahead`), and the one function the
edition build calls, :func:`summarizer_for_edition`.

The prompts, the guard and the summariser that uses the answers are pure and live
in :mod:`digest.editorial.rewrite`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from digest.config import Settings, read_secret
from digest.editorial.rewrite import (
    RequestRecorder,
    RewriteOptions,
    RewritingSummarizer,
    rewrite_request,
)
from digest.editorial.summarize import Style, Summary
from digest.editorial.summarizer import Summarizer
from digest.language_model.ahead import AheadReport, rewrite_ahead
from digest.language_model.client import ChatClient, Completion, Endpoint, ModelError
from digest.models import Article
from digest.store import Store

__all__ = [
    "SEND_MARGIN_SECONDS",
    "AheadReport",
    "ChatClient",
    "Completion",
    "Endpoint",
    "ModelError",
    "endpoint",
    "model_deadline",
    "rewrite_ahead",
    "rewrite_documents",
    "rewrite_options",
    "summarizer_for_edition",
]

#: Calls stop this long before the send time at the latest: the edition is stored and
#: fanned out in time whatever the model does.
SEND_MARGIN_SECONDS = 60.0


def rewrite_options(settings: Settings) -> RewriteOptions:
    """The pure part of ``[summarize]``: model, prompt version and lengths."""
    s = settings.summarize
    return RewriteOptions(
        model=s.model,
        prompt_version=s.prompt_version,
        why_it_matters=s.why_it_matters,
        max_input_words=s.max_input_words,
    )


def endpoint(settings: Settings, env: Mapping[str, str] | None = None) -> Endpoint:
    """Where and how to call the model; the key is read from ``[summarize] api_key_env``."""
    s = settings.summarize
    key = read_secret(settings, "summarize", "api_key", os.environ if env is None else env)
    return Endpoint(s.base_url, s.model, key, s.timeout_seconds, s.temperature)


def model_deadline(settings: Settings, *, now: datetime, send_at: datetime | None) -> float:
    """The :func:`time.monotonic` instant by which a build's calls stop:
    ``[summarize] deadline_minutes`` from now, or :data:`SEND_MARGIN_SECONDS` before
    ``send_at``, whichever comes first. Taken once per build, so that the editions of
    several languages share it instead of each taking its own."""
    seconds = settings.summarize.deadline_minutes * 60.0
    if send_at is not None:
        seconds = min(seconds, (send_at - now).total_seconds() - SEND_MARGIN_SECONDS)
    return time.monotonic() + max(0.0, seconds)


def summarizer_for_edition(
    store: Store,
    settings: Settings,
    plan: Callable[[Summarizer], object],
    *,
    base: Summarizer,
    now: datetime,
    deadline: float,
) -> Summarizer:
    """The summariser an edition is built with, its model calls already made.

    ``backend = "extractive"``: ``base`` (the extractive summariser), and no call.
    ``backend = "openai"``: ``plan`` (the edition's pure assembly, taking
    a summariser) is run once with the extractive summariser to learn which stories and
    styles it asks for; those are asked of the model (cached answers first) until
    ``deadline`` (a :func:`time.monotonic` instant, see :func:`model_deadline`); the
    returned summariser gives the guarded rewrite where there is one, else the
    extract. ``now`` dates the cached answers.
    """
    s = settings.summarize
    if s.backend != "openai":
        return base
    options = rewrite_options(settings)
    recorder = RequestRecorder(options, inner=base)
    plan(recorder)
    answers, _report = rewrite_ahead(
        store,
        endpoint(settings),
        options,
        list(recorder.requests.values()),
        now=now,
        deadline=deadline,
        max_concurrency=s.max_concurrency,
    )
    return RewritingSummarizer(options, answers, inner=base)


def rewrite_documents(
    settings: Settings, documents: Sequence[tuple[str, str]], *, language: str, style: Style
) -> list[tuple[Summary, str]]:
    """``digest summarize --backend openai``: each (text, headline) summarised as the
    edition would, then rewritten by the model and guarded, without the cache. Returns
    each summary and why it is the extract ("" when it is the rewrite; ``empty`` for
    an empty document, whose summary has no sentence)."""
    options = rewrite_options(settings)
    now = datetime.now(UTC)
    articles = [
        Article(url="", title=title, body=text, published_at=now, language=language) for text, title in documents
    ]
    recorder = RequestRecorder(options)
    for article in articles:
        if article.body.strip():
            recorder(article, style)
    s = settings.summarize
    answers, report = rewrite_ahead(
        None,
        endpoint(settings),
        options,
        list(recorder.requests.values()),
        now=now,
        deadline=time.monotonic() + s.deadline_minutes * 60.0,
        max_concurrency=s.max_concurrency,
    )
    summarizer = RewritingSummarizer(options, answers)
    out: list[tuple[Summary, str]] = []
    for article in articles:
        if not article.body.strip():
            out.append((Summary((), "extract"), "empty"))
            continue
        outcome = summarizer.outcome(article, style)
        if outcome.verdict is not None:
            reason = "" if outcome.verdict.accepted else outcome.verdict.reason
        else:
            request = rewrite_request(article, style, options, outcome.extract)
            reason = report.fallbacks.get(request.key, "no_answer") if request is not None else "no_prompt"
        out.append((outcome.summary, reason))
    return out
