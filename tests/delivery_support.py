"""Helpers for the delivery tests: subscribers and editions written straight to the
store, and a small real composer (a valid MIME message built with the stdlib)."""

from __future__ import annotations

import email.policy
from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage

from sqlalchemy import insert, select

from digest.models import OutgoingMessage
from digest.store import Store
from digest.store import tables as t
from digest.store.claims import ClaimedDelivery


def add_subscribers(
    store: Store,
    count: int,
    *,
    now: datetime,
    language: str = "fr",
    prefix: str = "reader",
    domain: str = "example.org",
    timezone: str = "",
    send_at: str = "",
    status: str = "confirmed",
    start: int = 0,
) -> list[str]:
    """Insert ``count`` subscribers ``{prefix}{i}@{domain}``; returns their addresses."""
    addresses = [f"{prefix}{i}@{domain}" for i in range(start, start + count)]
    rows = [
        {
            "email": a,
            "language": language,
            "timezone": timezone,
            "send_at": send_at,
            "status": status,
            "created_at": now,
            "updated_at": now,
        }
        for a in addresses
    ]
    with store.engine.begin() as conn:
        for i in range(0, len(rows), 1000):
            conn.execute(insert(t.subscribers), rows[i : i + 1000])
    return addresses


def add_edition(store: Store, *, day: date, now: datetime, language: str = "fr", newsletter: str = "Le Brief") -> int:
    """Insert a built edition with two items; returns its id."""
    with store.engine.begin() as conn:
        edition_id = conn.execute(
            insert(t.editions).values(
                newsletter=newsletter,
                edition_date=day,
                language=language,
                status="built",
                word_count=120,
                reading_minutes=1,
                built_at=now,
            )
        ).inserted_primary_key[0]
        for position, title in enumerate(("Le budget adopté", "La pluie revient")):
            conn.execute(
                insert(t.edition_items).values(
                    edition_id=edition_id,
                    position=position,
                    kind="top",
                    category="Politique",
                    url=f"https://news.example.org/{position}",
                    title=title,
                    summary="Un résumé de deux phrases. La seconde phrase.",
                    reading_minutes=2,
                )
            )
    return int(edition_id)


def subscriber_id(store: Store, address: str) -> int:
    """The id of the subscriber with this address."""
    with store.engine.connect() as conn:
        return int(conn.execute(select(t.subscribers.c.id).where(t.subscribers.c.email == address)).scalar_one())


class MimeComposer:
    """A real, simple composer: one multipart/alternative message per delivery, its
    bytes built with the stdlib (the production composer lives in digest.mail.compose)."""

    def __init__(self, *, sender: str = "Le Brief <brief@example.org>", padding: int = 0) -> None:
        self.sender = sender
        self.padding = "x" * padding
        self.composed: list[int] = []

    def message_for(self, delivery: ClaimedDelivery) -> OutgoingMessage:
        """The message for ``delivery``'s subscriber."""
        self.composed.append(delivery.id)
        to = delivery.subscriber.email
        msg = EmailMessage(policy=email.policy.SMTP)
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = f"Le Brief, édition {delivery.edition_id}"
        message_id = f"<{delivery.edition_id}.{delivery.subscriber.id}@example.org>"
        msg["Message-ID"] = message_id
        msg["X-Delivery"] = str(delivery.id)
        msg.set_content(f"Bonjour {to},\n\nL'essentiel du jour.\n{self.padding}\n", cte="quoted-printable")
        msg.add_alternative(f"<p>Bonjour {to}</p><p>L'essentiel du jour.</p>", subtype="html")
        return OutgoingMessage(
            mail_from="bounces@example.org",
            rcpt_to=to,
            data=msg.as_bytes(),
            message_id=message_id,
            delivery_id=delivery.id,
            subscriber_id=delivery.subscriber.id,
        )


def delivered_to(received: Sequence[object]) -> dict[str, int]:
    """How many accepted messages each recipient got (from SMTPServer.received)."""
    out: dict[str, int] = {}
    for r in received:
        for rcpt in r.rcpt_tos:  # type: ignore[attr-defined]
            out[rcpt.lower()] = out.get(rcpt.lower(), 0) + 1
    return out
