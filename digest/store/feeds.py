"""Feed queries: registered RSS/Atom feeds and the outcome of their last poll."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.errors import NotFoundError
from digest.models import Feed
from digest.store import Store, immediate
from digest.store import tables as t


def row_to_feed(row: Any) -> Feed:
    """A :class:`Feed` from a ``feeds`` row."""
    return t.model_from_row(Feed, row)


def add_feed(store: Store, url: str, *, now: datetime, category: str = "", language: str = "") -> tuple[Feed, bool]:
    """Register ``url`` (already validated); returns (feed, created).

    Adding a feed that is already registered updates its category and language and
    reactivates it, so ``feeds add`` can be re-run with new options.
    """
    for attempt in (1, 2):
        try:
            with immediate(store.engine) as conn:
                row = conn.execute(select(t.feeds).where(t.feeds.c.url == url)).first()
                if row is None:
                    new_id = conn.execute(
                        insert(t.feeds)
                        .values(url=url, category=category, language=language, active=True, created_at=now)
                        .returning(t.feeds.c.id)
                    ).scalar_one()
                    created = True
                else:
                    new_id = row.id
                    conn.execute(
                        update(t.feeds)
                        .where(t.feeds.c.id == row.id)
                        .values(category=category, language=language, active=True)
                    )
                    created = False
                feed = row_to_feed(conn.execute(select(t.feeds).where(t.feeds.c.id == new_id)).one())
                return feed, created
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def list_feeds(store: Store, *, active_only: bool = True) -> list[Feed]:
    """Registered feeds in the order they were added."""
    query = select(t.feeds).order_by(t.feeds.c.id)
    if active_only:
        query = query.where(t.feeds.c.active.is_(True))
    with store.engine.connect() as conn:
        return [row_to_feed(r) for r in conn.execute(query)]


def remove_feed(store: Store, url: str) -> None:
    """Stop polling ``url``; its articles stay in the store."""
    with immediate(store.engine) as conn:
        found = conn.execute(delete(t.feeds).where(t.feeds.c.url == url)).rowcount
    if not found:
        raise NotFoundError(f"no feed registered with URL {url}")


def record_poll(
    store: Store,
    feed_id: int,
    *,
    polled_at: datetime,
    error: str = "",
    title: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """Remember a poll's outcome. ``None`` leaves a field as it was: a failed poll
    keeps the validators of the last good one, so the next poll is still conditional."""
    values: dict[str, Any] = {"last_polled_at": polled_at, "last_error": error}
    if title:
        values["title"] = title[:500]
    if etag is not None:
        values["etag"] = etag[:500]
    if last_modified is not None:
        values["last_modified"] = last_modified[:100]
    with immediate(store.engine) as conn:
        conn.execute(update(t.feeds).where(t.feeds.c.id == feed_id).values(**values))
