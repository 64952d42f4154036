"""What the model is asked for one story, and the summariser that uses its answers.
Pure: the calls themselves are made ahead of the build, outside this package
(digest.language_model), and their answers are handed in as values.

Extract, then rewrite: the extractive summariser picks the sentences as it always
does; the model is given those (and the headline, and the article cut at a
paragraph boundary for context) and asked for a brief in the edition's language and
style. :class:`RewritingSummarizer` has the call shape of
:func:`digest.editorial.summarize.summarize_article`: it returns the guarded
rewrite, or the extractive summary when there is no answer or the guard refused it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from digest.editorial.rewrite.guard import Verdict, check
from digest.editorial.rewrite.prompts import Message, PromptNotFoundError, messages, prompt
from digest.editorial.summarize import STYLES, Style, Summary, split_sentences
from digest.editorial.summarizer import EXTRACTIVE, Summarizer
from digest.models import Article
from digest.words import word_count


@dataclass(frozen=True)
class RewriteOptions:
    """The values of ``[summarize]`` the rewrite needs (no address, no key)."""

    model: str
    prompt_version: str = "v1"
    why_it_matters: bool = False
    max_input_words: int = 1200


@dataclass(frozen=True)
class RewriteKey:
    """What a cached rewrite is for: the same key, the same answer."""

    content_hash: str
    style: str
    language: str
    model: str
    prompt_version: str


@dataclass(frozen=True)
class RewriteRequest:
    """One story's call: its key, what the guard checks against, and the messages."""

    key: RewriteKey
    article_id: int | None
    style: Style
    source: tuple[str, ...]  # the headline, then the extract's sentences
    messages: tuple[Message, Message]
    input_words: int  # words of the article sent (after the cut)


@dataclass(frozen=True)
class Answer:
    """A model's answer to a request, as cached: its text, and whether the server
    stopped at its length limit."""

    text: str
    truncated: bool = False


@dataclass(frozen=True)
class Outcome:
    """What the rewriting summariser did for one story: the summary it returns, the
    extract, and the guard's verdict (None: no answer to judge, the extract stands)."""

    summary: Summary
    extract: Summary
    verdict: Verdict | None


def style_name(style: Style) -> str:
    """The style's name in :data:`~digest.editorial.summarize.STYLES` (``top``), or its
    lengths spelled out for a style of one's own."""
    for name, known in STYLES.items():
        if known == style:
            return name
    return f"s{style.min_sentences}-{style.max_sentences}-{style.target_words}-{style.max_words}-{style.min_words}"


def cut_at_paragraph(body: str, max_words: int, language: str = "en") -> str:
    """``body``'s leading whole paragraphs within ``max_words`` words (a first paragraph
    longer than that: its leading whole sentences), never a cut inside a sentence."""
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    kept: list[str] = []
    total = 0
    for p in paragraphs:
        n = word_count(p)
        if total + n > max_words:
            break
        kept.append(p)
        total += n
    if not kept and paragraphs:
        sentences: list[str] = []
        for s in (x.text for x in split_sentences(paragraphs[0], language)):
            if word_count(" ".join([*sentences, s])) > max_words:
                break
            sentences.append(s)
        kept = [" ".join(sentences)] if sentences else []
    return "\n\n".join(kept)


def content_hash(article: Article, sentences: tuple[str, ...], context: str) -> str:
    """A hash of everything the model reads about the story."""
    h = hashlib.sha256()
    for part in (article.title, article.summary, article.body, *sentences, context):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def rewrite_request(article: Article, style: Style, options: RewriteOptions, extract: Summary) -> RewriteRequest | None:
    """The call for ``article`` in ``style`` given its extractive summary; None when
    there is nothing to rewrite (no extract) or no prompt in the article's language."""
    if not extract.sentences:
        return None
    try:
        template = prompt(options.prompt_version, article.language)
    except PromptNotFoundError:
        return None
    context = cut_at_paragraph(article.body, options.max_input_words, article.language)
    target = style.target_words or sum(word_count(s) for s in extract.sentences)
    msgs = messages(
        template,
        headline=article.title,
        sentences=extract.sentences,
        article=context,
        target_words=target,
        max_words=style.max_words or max(target, word_count(extract.text)),
        max_sentences=style.max_sentences,
        why_it_matters=options.why_it_matters,
    )
    key = RewriteKey(
        content_hash(article, extract.sentences, context),
        style_name(style),
        article.language,
        options.model,
        options.prompt_version,
    )
    source = (article.title, *extract.sentences)
    return RewriteRequest(key, article.id, style, source, msgs, word_count(context))


def judge(request: RewriteRequest, answer: Answer, options: RewriteOptions) -> Verdict:
    """The guard's verdict on ``answer`` to ``request``."""
    why_label = prompt(options.prompt_version, request.key.language).why_label if options.why_it_matters else ""
    return check(
        answer.text,
        source=request.source,
        language=request.key.language,
        style=request.style,
        why_label=why_label,
        truncated=answer.truncated,
    )


@dataclass
class RequestRecorder:
    """A summariser that answers with ``inner`` and notes, for each story, the call a
    rewrite would need: run the edition's plan with it once to learn what to ask the
    model for, ahead of the build."""

    options: RewriteOptions
    inner: Summarizer = EXTRACTIVE
    requests: dict[RewriteKey, RewriteRequest] = field(default_factory=dict)

    def summarize(self, article: Article, style: Style) -> Summary:
        """The :class:`~digest.editorial.summarizer.Summarizer` port: see ``__call__``."""
        return self(article, style)

    def __call__(self, article: Article, style: Style) -> Summary:
        """The inner summary; the request is recorded on the way."""
        extract = self.inner.summarize(article, style)
        request = rewrite_request(article, style, self.options, extract)
        if request is not None:
            self.requests.setdefault(request.key, request)
        return extract


@dataclass(frozen=True)
class RewritingSummarizer:
    """The model's rewrite where there is an answer the guard accepts, else the
    extract: same call shape as :func:`~digest.editorial.summarize.summarize_article`."""

    options: RewriteOptions
    answers: Mapping[RewriteKey, Answer]
    inner: Summarizer = EXTRACTIVE

    def summarize(self, article: Article, style: Style) -> Summary:
        """The :class:`~digest.editorial.summarizer.Summarizer` port: see ``__call__``."""
        return self(article, style)

    def __call__(self, article: Article, style: Style) -> Summary:
        """The summary an edition shows for ``article`` in ``style``."""
        return self.outcome(article, style).summary

    def outcome(self, article: Article, style: Style) -> Outcome:
        """The summary with the extract it came from and the guard's verdict."""
        extract = self.inner.summarize(article, style)
        request = rewrite_request(article, style, self.options, extract)
        answer = self.answers.get(request.key) if request is not None else None
        if request is None or answer is None:
            return Outcome(extract, extract, None)
        verdict = judge(request, answer, self.options)
        summary = verdict.summary(article.language) if verdict.accepted else extract
        return Outcome(summary, extract, verdict)
