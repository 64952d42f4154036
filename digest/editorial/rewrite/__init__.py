"""Rewritten briefs on the operator's own language model, never trusted blindly: the
pure half (prompts, the guard, the summariser that uses answers handed to it).

The calls, their deadline and their cache are in :mod:`digest.language_model`; this
package never touches the network, the store or the clock.
"""

from __future__ import annotations

from digest.editorial.rewrite.guard import Reason, Verdict, check
from digest.editorial.rewrite.prompts import DEFAULT_VERSION, Message, Prompt, has_prompt, messages, prompt
from digest.editorial.rewrite.stories import (
    Answer,
    Outcome,
    RequestRecorder,
    RewriteKey,
    RewriteOptions,
    RewriteRequest,
    RewritingSummarizer,
    cut_at_paragraph,
    judge,
    rewrite_request,
    style_name,
)

__all__ = [
    "DEFAULT_VERSION",
    "Answer",
    "Message",
    "Outcome",
    "Prompt",
    "Reason",
    "RequestRecorder",
    "RewriteKey",
    "RewriteOptions",
    "RewriteRequest",
    "RewritingSummarizer",
    "Verdict",
    "check",
    "cut_at_paragraph",
    "has_prompt",
    "judge",
    "messages",
    "prompt",
    "rewrite_request",
    "style_name",
]
