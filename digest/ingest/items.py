"""One article as a source gave it (:class:`Item`), and the rules that turn it into a
clean, validated :class:`~digest.models.Article` the store accepts.

Every source (feed, JSON Lines, page) produces Items; :func:`to_article` is the one
place that canonicalises URLs, cleans and sanitises bodies, picks the language and
counts words, so an article looks the same whichever way it came in.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.ingest.language import detect_language, normalize_language
from digest.ingest.text import (
    clean_line,
    drop_blocks,
    html_to_paragraphs,
    inline_text,
    join_paragraphs,
    paragraphs_to_html,
    sanitize_html,
    text_to_paragraphs,
)
from digest.models import Article, reading_minutes
from digest.text.boilerplate import drop_repeated_title, is_boilerplate, strip_boilerplate
from digest.urls import host_of, is_ip_address
from digest.words import word_count

# Column sizes in digest/store/tables/content.py: longer values are refused or cut here, so
# a write never fails half-way on PostgreSQL.
MAX_URL = 2048
MAX_TITLE = 1000
MAX_AUTHOR = 500
MAX_CATEGORY = 100
MAX_SOURCE = 500

# Query parameters that only track a click; dropping them makes one article one URL.
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_TRACKING = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "xtor", "xtref", "_ga", "at_medium"}
    | {"ncid", "ocid", "cmpid", "smid", "twclid", "ref_src", "spm", "wt_mc", "wt.mc_id", "at_campaign"}
)


#: How far ahead of the clock a publication date may be (time zones, clock skew).
MAX_AHEAD = timedelta(days=1)


class ItemError(ValueError):
    """An item cannot become an article; the message names the field and why."""


@dataclass
class Item:
    """An article as a source gave it, before validation.

    ``body`` is plain text (paragraphs separated by a blank line); ``body_html`` is
    untrusted HTML; one of them is needed. ``published_at`` None means the source
    gave no date. ``where`` locates the item in its source for messages
    ("articles.jsonl:3", "feed.xml item 2").
    """

    url: str
    title: str
    body: str = ""
    body_html: str = ""
    published_at: datetime | None = None
    category: str = ""
    language: str = ""
    author: str = ""
    summary: str = ""
    guid: str = ""
    source: str = ""
    where: str = ""
    plain_text: bool = False  # title, summary, author are plain text (JSON Lines), not markup (feeds)
    from_page: bool = False  # the body is a page's article text, its captions already taken out by the markup


def canonical_url(url: str) -> str:
    """``url`` in one canonical form: http(s) only, lower-case scheme and host, no
    default port, no fragment, no tracking parameters; raise :class:`ItemError`."""
    url = url.strip()
    if not url:
        raise ItemError("url: missing")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ItemError(f"url: invalid ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ItemError(f"url: expected an absolute http(s) URL, got {url[:200]!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ItemError(f"url: no host in {url[:200]!r}")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{ipaddress.ip_address(host).compressed}]" if is_ip_address(host) else f"[{host}]"
    netloc = host if port is None or port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower() in _TRACKING or k.lower().startswith(_TRACKING_PREFIXES))
    ]
    canonical = urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))
    if len(canonical) > MAX_URL:
        raise ItemError(f"url: longer than {MAX_URL} characters")
    return canonical


def _shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def to_article(
    item: Item,
    *,
    fallback_published_at: datetime,
    default_language: str,
    category: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
    warn: Callable[[str], None] | None = None,
) -> Article:
    """Validate and clean ``item``; ``category``/``language`` override the source's.

    A missing date becomes ``fallback_published_at`` (when the article was first
    seen). The language is the override, else the item's, else detected, else
    ``default_language``. A date more than a day after ``now`` is refused (a typo or a
    placeholder such as 9999-12-31 would top every edition forever). A category that
    cannot be a section label is trimmed or left empty, with a line to ``warn``,
    never a rejection (see :func:`sensible_category`). Raises :class:`ItemError`
    naming the field at fault.
    """
    url = canonical_url(item.url)
    # Plain text is stored as given (a title about "<script>" keeps it) and escaped on
    # output; only markup from feeds is reduced to its text.
    inline = clean_line if item.plain_text else inline_text
    title = inline(item.title)
    if not title:
        raise ItemError("title: missing")
    if len(title) > MAX_TITLE:
        raise ItemError(f"title: longer than {MAX_TITLE} characters")

    body_html = ""
    if item.from_page:
        # A page's article text, already cleaned paragraph by paragraph by extract_page
        # (strip_boilerplate): its HTML is rebuilt from the paragraphs (escaped), without
        # parsing and sanitising markup, and the furniture rules are not run twice. Only
        # the title may differ from the page's (a feed's headline).
        paragraphs = drop_repeated_title(text_to_paragraphs(item.body), title)
    else:
        if item.body_html.strip():
            paragraphs = html_to_paragraphs(item.body_html)
            body_html = drop_blocks(sanitize_html(item.body_html), is_boilerplate)
        else:
            paragraphs = text_to_paragraphs(item.body)
        paragraphs = strip_boilerplate(paragraphs, title=title)
    body = join_paragraphs(paragraphs)
    if not body:
        raise ItemError("body: empty (no article text)")
    if item.from_page:
        body_html = paragraphs_to_html(paragraphs)

    summary = inline(item.summary) if item.summary else ""
    published_at = item.published_at or fallback_published_at
    if published_at.tzinfo is None:
        raise ItemError("published_at: no UTC offset")
    if now is not None and published_at > now + MAX_AHEAD:
        raise ItemError(f"published_at: {published_at.isoformat()} is more than a day in the future")

    given_category = clean_line(category if category is not None else item.category)
    chosen_category = sensible_category(given_category)
    if chosen_category != given_category and warn is not None:
        shown = given_category if len(given_category) <= 80 else given_category[:79] + "…"
        warn(f"category {shown!r} " + (f"read as {chosen_category!r}" if chosen_category else "left empty"))

    lang = _choose_language(item, language, title, body, default_language)
    words = word_count(body)
    return Article(
        url=url,
        guid=clean_line(item.guid)[:MAX_URL],
        title=title,
        body=body,
        body_html=body_html,
        summary=summary,
        author=_shorten(inline(item.author), MAX_AUTHOR),
        category=chosen_category,
        language=lang,
        source=_shorten(inline_text(item.source) or host_of(url), MAX_SOURCE),
        published_at=published_at,
        word_count=words,
        reading_minutes=reading_minutes(words, lang),
    )


_CATEGORY_SEPARATORS = re.compile(r"\s*(?:[,;|>»›/·•]|\s-\s|\s–\s)\s*")
_BREADCRUMB = re.compile(r"[>»›|]")
_NOT_A_SECTION = frozenset({"home", "accueil", "news", "actualités", "actualites", "index", "start", "startseite"})
#: A section label longer than this many words is a sentence or a keyword list.
MAX_CATEGORY_WORDS = 5


def sensible_category(value: str) -> str:
    """A section label from what a source calls its category: as given when it is one;
    else the first meaningful part of a list or breadcrumb ("Home > Politics > Europe"
    gives "Politics"); else "" (a URL, a sentence, a keyword dump)."""
    value = clean_line(value)
    if _is_label(value) or not value:
        return value
    if "://" in value:
        return ""
    for part in _CATEGORY_SEPARATORS.split(value):
        part = part.strip(" .:-–")
        if part.casefold() in _NOT_A_SECTION:
            continue
        if _is_label(part):
            return part
    return ""


def _is_label(value: str) -> bool:
    return (
        0 < len(value) <= MAX_CATEGORY
        and len(value.split()) <= MAX_CATEGORY_WORDS
        and "://" not in value
        and not _BREADCRUMB.search(value)
    )


def _choose_language(item: Item, override: str | None, title: str, body: str, default: str) -> str:
    for given, what in ((override, "--language"), (item.language, "language")):
        if given:
            code = normalize_language(given)
            if code is None:
                raise ItemError(f"{what}: {given!r} is not a language code (e.g. fr, en)")
            return code
    return detect_language(f"{title}\n\n{body}") or default
