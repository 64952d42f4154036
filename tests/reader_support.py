"""Editions with deliveries for the reader pages' tests (archive, view in browser)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert

from digest.store import Store
from digest.store import tables as t


def stored_edition(
    store: Store, day: date, language: str, *, first_send: datetime | None, subscriber_id: int, now: datetime
) -> int:
    """An edition with two items and, when ``first_send`` is given, one delivery due then."""
    with store.engine.begin() as conn:
        edition_id = int(
            conn.execute(
                insert(t.editions).values(
                    newsletter="Le Brief", edition_date=day, language=language, status="sent",
                    reading_minutes=5, built_at=now,
                )
            ).inserted_primary_key[0]
        )  # fmt: skip
        for position, (kind, category, title) in enumerate(
            [("top", "Politique", f"Titre du {day}"), ("brief", "Sport", "Un match")], start=1
        ):
            conn.execute(
                insert(t.edition_items).values(
                    edition_id=edition_id, position=position, kind=kind, category=category, title=title,
                    url="https://news.example.org/" + str(position), summary="Résumé.", reading_minutes=2,
                )
            )  # fmt: skip
        if first_send is not None:
            conn.execute(
                insert(t.deliveries).values(
                    edition_id=edition_id, subscriber_id=subscriber_id, state="sent", due_at=first_send,
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
    return edition_id
