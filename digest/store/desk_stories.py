"""The editor's decisions on an edition's stories in the store: merge two, split one,
the "Et enfin" slot (:class:`digest.models.StoryDecision`).

They are keyed by article URLs, not positions, and a rebuild keeps them (it replaces the
items, not these rows): :func:`digest.daily.build.build_editions` reads them and hands
them to the pure assembly as values. Every change is refused once the edition's first
delivery row exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select

from digest.models import StoryChange, StoryDecision
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.desk import require_open

_SLOT = (StoryChange.FINALLY.value, StoryChange.NO_FINALLY.value)


def load_decisions(conn: Connection, edition_id: int) -> list[StoryDecision]:
    """The edition's story decisions in the order they were made."""
    d = t.edition_story_decisions.c
    rows = conn.execute(select(t.edition_story_decisions).where(d.edition_id == edition_id).order_by(d.id)).all()
    out = []
    for r in rows:
        try:
            what = StoryChange(r.what)
        except ValueError:  # a kind this version does not know: leave it to the version that wrote it
            continue
        out.append(StoryDecision(what, r.url, r.other, r.edited_by, r.edited_at))
    return out


def decisions(store: Store, edition_id: int) -> list[StoryDecision]:
    """The edition's story decisions in the order they were made."""
    with store.engine.connect() as conn:
        return load_decisions(conn, edition_id)


def add_decision(store: Store, edition_id: int, decision: StoryDecision, *, by: str, now: datetime) -> StoryDecision:
    """Record ``decision`` after the others; a decision about the "Et enfin" slot replaces
    the one before it (at most one story closes the edition). EditionLocked once a
    delivery exists."""
    with immediate(store.engine) as conn:
        require_open(conn, edition_id)
        d = t.edition_story_decisions.c
        if decision.what.value in _SLOT:
            conn.execute(delete(t.edition_story_decisions).where(d.edition_id == edition_id, d.what.in_(_SLOT)))
        values = {"what": decision.what.value, "url": decision.url, "other": decision.other}
        conn.execute(
            t.edition_story_decisions.insert().values(edition_id=edition_id, edited_by=by, edited_at=now, **values)
        )
    return StoryDecision(decision.what, decision.url, decision.other, by, now)


def drop_decisions(store: Store, edition_id: int, dropped: Sequence[StoryDecision]) -> None:
    """Forget these decisions (matched by kind and URLs): those a later one undid."""
    if not dropped:
        return
    d = t.edition_story_decisions.c
    with immediate(store.engine) as conn:
        for x in dropped:
            where = (d.edition_id == edition_id, d.what == x.what.value, d.url == x.url, d.other == x.other)
            conn.execute(delete(t.edition_story_decisions).where(*where))
