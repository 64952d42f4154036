"""Tables of what the newsletter is made of: feeds, the article pages read for them,
articles, editions and their items, and the language model's rewrites."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from digest.store.tables.base import UTCDateTime, metadata

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),
    Column("title", String(500), nullable=False, server_default=""),
    Column("category", String(100), nullable=False, server_default=""),
    Column("language", String(10), nullable=False, server_default=""),
    Column("etag", String(500), nullable=False, server_default=""),
    Column("last_modified", String(100), nullable=False, server_default=""),
    Column("last_polled_at", UTCDateTime()),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("full_text", String(10), nullable=False, server_default="auto"),  # auto, always, never
)


# Article pages read for excerpt-only feed items: the cache that keeps a page from being
# fetched twice for the same item, and the outcome counted per feed.
page_fetches = Table(
    "page_fetches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),  # the item's canonical URL
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), index=True),
    Column("outcome", String(20), nullable=False),  # read, robots, timeout, http_error, paywall, error
    Column("reason", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False, server_default=""),  # the page's article text when read
    Column("etag", String(500), nullable=False, server_default=""),
    Column("last_modified", String(100), nullable=False, server_default=""),
    Column("fetched_at", UTCDateTime(), nullable=False),
)


articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),  # canonical URL
    Column("guid", String(2048), nullable=False, server_default="", index=True),
    Column("title", String(1000), nullable=False),
    Column("body", Text, nullable=False),
    Column("body_html", Text, nullable=False, server_default=""),  # sanitised with nh3
    Column("summary", Text, nullable=False, server_default=""),
    Column("author", String(500), nullable=False, server_default=""),
    Column("category", String(100), nullable=False, server_default=""),
    Column("language", String(10), nullable=False),
    Column("source", String(500), nullable=False, server_default=""),
    Column("published_at", UTCDateTime(), nullable=False, index=True),
    Column("word_count", Integer, nullable=False, server_default="0"),
    Column("reading_minutes", Integer, nullable=False, server_default="0"),
    Column("content_hash", String(64), nullable=False, server_default=""),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)


editions = Table(
    "editions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("newsletter", String(200), nullable=False),
    Column("edition_date", Date, nullable=False),
    Column("language", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("word_count", Integer, nullable=False, server_default="0"),
    Column("reading_minutes", Integer, nullable=False, server_default="0"),
    Column("skip_reason", Text, nullable=False, server_default=""),
    Column("built_at", UTCDateTime(), nullable=False),
    Column("fanned_out_at", UTCDateTime()),
    UniqueConstraint("newsletter", "edition_date", "language", name="uq_editions_newsletter_date_language"),
)


edition_items = Table(
    "edition_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("edition_id", Integer, ForeignKey("editions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("category", String(100), nullable=False, server_default=""),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("url", String(2048), nullable=False),
    Column("title", String(1000), nullable=False),
    Column("summary", Text, nullable=False, server_default=""),
    Column("reading_minutes", Integer, nullable=False, server_default="0"),
    Column("also_read", Text, nullable=False, server_default="[]"),  # JSON list of {title,url,source}
    Column("source", String(500), nullable=False, server_default=""),  # the publisher's name; "" shows the host
    UniqueConstraint("edition_id", "position", name="uq_edition_items_edition_position"),
)


# What the operator's language model wrote for a story, once per (article content
# hash, style, language, model, prompt version): a rebuild, a second language or a
# restart reads it here instead of calling the model again. Rejected answers are kept
# too (the same input gets the same answer) with the guard's reason, for the desk.
rewrites = Table(
    "rewrites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("style", String(40), nullable=False),
    Column("language", String(10), nullable=False),
    Column("model", String(200), nullable=False),
    Column("prompt_version", String(50), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True),
    Column("source", Text, nullable=False),  # the headline and the sentences given, one per line
    Column("answer", Text, nullable=False),  # the model's text as it came
    Column("truncated", Boolean, nullable=False),  # the server stopped at its length limit
    Column("accepted", Boolean, nullable=False),  # the guard's verdict when it was written
    Column("reason", String(20), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("milliseconds", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("content_hash", "style", "language", "model", "prompt_version"),
)
