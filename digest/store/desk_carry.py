"""The editor's decisions carried across a rebuild, by article URL.

A rebuild replaces an edition's stories (:func:`digest.store.editions.save_edition`
clears the desk rows that named the old positions). Before it, :func:`snapshot` reads
the decisions with the URL of each story they were made on; after it,
:func:`carry_over` writes them again on the new story with the same URL: text edits,
drops, the pinned lead and the editor's relative order. What names a story the rebuild
no longer has is returned as :class:`Unkept`, so the door can say so (or refuse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from digest.models import EditionOrder, ItemEdit, StoryDecision
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.desk import _write_edit, _write_order, load_edits, load_order


@dataclass(frozen=True)
class Unkept:
    """A decision a rebuild could not keep: ``what`` (edit, drop, pin; merge, split,
    finally, no_finally) on the story ``headline`` (as the editor last saw it) at ``url``."""

    what: str
    headline: str
    url: str
    #: The story decision (merge, split, "Et enfin") behind it, when it is one.
    decision: StoryDecision | None = None

    def __str__(self) -> str:
        return f"{self.what}: {self.headline}"


@dataclass(frozen=True)
class Decisions:
    """An edition's desk decisions keyed by the URL of the story they were made on."""

    urls: dict[int, str]  # position -> URL, as built before the rebuild
    titles: dict[str, str]  # URL -> headline the editor saw
    edits: tuple[ItemEdit, ...]
    order: EditionOrder | None

    @property
    def empty(self) -> bool:
        """Whether there is nothing to carry."""
        return not self.edits and self.order is None


def _items(conn: Connection, edition_id: int) -> list[tuple[int, str, str]]:
    i = t.edition_items.c
    query = select(i.position, i.url, i.title).where(i.edition_id == edition_id).order_by(i.position)
    return [(r.position, r.url, r.title) for r in conn.execute(query)]


def snapshot(store: Store, edition_id: int) -> Decisions:
    """The edition's decisions as they stand, with each story's URL."""
    with store.engine.connect() as conn:
        rows = _items(conn, edition_id)
        edits = load_edits(conn, edition_id)
        order = load_order(conn, edition_id)
    urls = {position: url for position, url, _ in rows}
    titles = {url: title for position, url, title in rows}
    for edit in edits.values():
        if edit.headline and edit.position in urls:
            titles[urls[edit.position]] = edit.headline
    return Decisions(urls, titles, tuple(edits.values()), order)


def carry_over(store: Store, edition_id: int, decisions: Decisions, *, by: str, now: datetime) -> list[Unkept]:
    """Write ``decisions`` on the rebuilt edition's stories with the same URLs; the
    decisions naming a story it no longer has, in the order the editor sees them."""
    if decisions.empty:
        return []
    unkept: list[Unkept] = []
    with immediate(store.engine) as conn:
        rows = _items(conn, edition_id)
        at = {url: position for position, url, _ in rows}
        i = t.edition_items.c
        for edit in sorted(decisions.edits, key=lambda e: e.position):
            url = decisions.urls.get(edit.position, "")
            if url not in at:
                what = "drop" if edit.dropped else "edit"
                unkept.append(Unkept(what, decisions.titles.get(url, url), url))
                continue
            original = conn.execute(
                select(t.edition_items).where(i.edition_id == edition_id, i.position == at[url])
            ).one()
            _write_edit(conn, edition_id, original, edit.headline, edit.summary, edit.dropped, by=by, now=now)
        if decisions.order is not None:
            positions, lead, lost = _carry_order(decisions, decisions.order, [p for p, _, _ in rows], at)
            unkept.extend(lost)
            _write_order(conn, edition_id, positions, lead=lead, by=by, now=now)
    return unkept


def _carry_order(
    decisions: Decisions, order: EditionOrder, built: Sequence[int], at: dict[str, int]
) -> tuple[list[int], int | None, list[Unkept]]:
    """The new build's positions with the stories the editor ordered back in their
    relative order (each in a slot one of them holds), and the pinned lead."""
    rank = {decisions.urls[p]: n for n, p in enumerate(order.positions) if p in decisions.urls}
    url_of = {position: url for url, position in at.items()}
    members = [p for p in built if url_of.get(p) in rank]
    ordered = iter(sorted(members, key=lambda p: rank[url_of[p]]))
    positions = [next(ordered) if url_of.get(p) in rank else p for p in built] if rank else []
    lost: list[Unkept] = []
    lead = None
    if order.lead is not None:
        url = decisions.urls.get(order.lead, "")
        lead = at.get(url)
        if lead is None:
            lost.append(Unkept("pin", decisions.titles.get(url, url), url))
    return positions, lead, lost
