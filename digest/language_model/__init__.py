"""The operator's own language model, behind the Summarizer seam: the HTTP client
(:mod:`~digest.language_model.client`), the calls made ahead of the send within a
deadline and cached (:mod:`~digest.language_model.ahead`), and the one function the
edition build calls, :func:`summarizer_for_edition`.

The prompts, the guard and the summariser that uses the answers are pure and live
in :mod:`digest.editorial.rewrite`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime

from digest.config import Settings, read_secret
from digest.editorial.rewrite import RequestRecorder, RewriteOptions, RewritingSummarizer, SummarizeFn
from digest.editorial.summarize import summarize_article
from digest.language_model.ahead import AheadReport, rewrite_ahead
from digest.language_model.client import ChatClient, Completion, Endpoint, ModelError
from digest.store import Store

__all__ = [
    "SEND_MARGIN_SECONDS",
    "AheadReport",
    "ChatClient",
    "Completion",
    "Endpoint",
    "ModelError",
    "endpoint",
    "rewrite_ahead",
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


def summarizer_for_edition(
    store: Store,
    settings: Settings,
    plan: Callable[[SummarizeFn], object],
    *,
    now: datetime,
    send_at: datetime | None = None,
) -> SummarizeFn:
    """The summariser an edition is built with, its model calls already made.

    ``backend = "extractive"``: :func:`~digest.editorial.summarize.summarize_article`,
    and no call. ``backend = "openai"``: ``plan`` (the edition's pure assembly, taking
    a summariser) is run once with the extractive summariser to learn which stories and
    styles it asks for; those are asked of the model (cached answers first) until
    ``[summarize] deadline_minutes`` from now or :data:`SEND_MARGIN_SECONDS` before
    ``send_at``, whichever comes first; the returned summariser gives the guarded
    rewrite where there is one, else the extract.
    """
    s = settings.summarize
    if s.backend != "openai":
        return summarize_article
    options = rewrite_options(settings)
    recorder = RequestRecorder(options)
    plan(recorder)
    seconds = s.deadline_minutes * 60.0
    if send_at is not None:
        seconds = min(seconds, (send_at - now).total_seconds() - SEND_MARGIN_SECONDS)
    answers, _report = rewrite_ahead(
        store,
        endpoint(settings),
        options,
        list(recorder.requests.values()),
        now=now,
        seconds=seconds,
        max_concurrency=s.max_concurrency,
    )
    return RewritingSummarizer(options, answers)
