"""The prompts the model is given, per language and version, as templates shipped in
the package (``prompts/<version>/<language>.txt``). Pure: text in, messages out.

A template file has sections, each opened by a ``### name`` line: ``system`` and
``user`` (the two messages), ``why`` (the extra rule when a "why it matters" line is
asked for) and ``why_label`` (how that line starts). Placeholders are
:class:`string.Template` ones (``$headline``): the article's own text is substituted
into the user message and never parsed as a template. A changed wording is a new
version (``[summarize] prompt_version``), so cached rewrites of the old one are not
reused for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

#: The prompt version used when [summarize] prompt_version is not set.
DEFAULT_VERSION = "v1"
_SECTION = re.compile(r"^### (\w+)\n", re.MULTILINE)


class PromptNotFoundError(LookupError):
    """No template for this version and language."""


@dataclass(frozen=True)
class Prompt:
    """One language's template of one version."""

    version: str
    language: str
    system: str
    user: str
    why: str
    why_label: str


@dataclass(frozen=True)
class Message:
    """One chat message: ``system`` or ``user``, and its text."""

    role: str
    content: str


@cache
def prompt(version: str, language: str) -> Prompt:
    """The template of ``version`` in ``language``; :class:`PromptNotFoundError` when
    the package ships none."""
    if not re.fullmatch(r"[\w.-]+", version) or not re.fullmatch(r"[a-z]{2,3}", language):
        raise PromptNotFoundError(f"no prompt {version!r} for language {language!r}")
    path = resources.files("digest.editorial.rewrite").joinpath("prompts", version, f"{language}.txt")
    if not path.is_file():
        raise PromptNotFoundError(f"no prompt {version!r} for language {language!r}")
    text = path.read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    return Prompt(
        version, language, sections["system"], sections["user"], sections["why"], sections["why_label"].strip()
    )


def has_prompt(version: str, language: str) -> bool:
    """True when the package ships ``version`` in ``language``."""
    try:
        prompt(version, language)
    except PromptNotFoundError:
        return False
    return True


def messages(
    template: Prompt,
    *,
    headline: str,
    sentences: tuple[str, ...],
    article: str,
    target_words: int,
    max_words: int,
    max_sentences: int,
    why_it_matters: bool,
) -> tuple[Message, Message]:
    """The system and user messages for one story."""
    system = Template(template.system).safe_substitute(
        target_words=target_words,
        max_words=max_words,
        max_sentences=max_sentences,
        why_rule="\n" + template.why if why_it_matters else "",
    )
    user = Template(template.user).safe_substitute(
        headline=headline.strip(), sentences="\n".join(f"- {s}" for s in sentences), article=_fenced(article)
    )
    return Message("system", system), Message("user", user)


def _fenced(article: str) -> str:
    """The article as it goes between its tags: a tag inside it cannot close the block
    early and smuggle text out of it."""
    return re.sub(r"</?\s*article\s*>", "", article, flags=re.IGNORECASE).strip()
