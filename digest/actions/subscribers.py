"""The subscriber list, as admins change it: add, update, unsubscribe, forget, import,
export, resend the confirmation mail.

The rules (who may join, suppressions, CSV format) live in :mod:`digest.subscribers`;
each function here wraps one of them with the role check, the write and its audit row
in one transaction (:meth:`Operations.act`), whichever door called it. The reads the
doors need to find a subscriber are here too, unaudited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Sequence
from email.message import EmailMessage
from pathlib import PurePath
from typing import Any, TextIO

from digest.actions.core import Act, Actor, Door, Operations, declare
from digest.admins import Role
from digest.deliver.mailer import SMTPMailer
from digest.errors import ConfigError, DigestError, NotFoundError
from digest.mail.transactional import confirmation_for
from digest.models import Consent, Subscriber, SubscriberQuery, SubscriberStatus
from digest.store import listings
from digest.store import subscribers as db
from digest.store.listings import HistoryRow
from digest.subscribers import csv_file
from digest.subscribers import membership as subs
from digest.subscribers.csv_file import ImportReport
from digest.subscribers.membership import Profile, StateError

ADD = declare("subscriber.add", Role.EDITOR, "add a subscriber (pending, or confirmed)")
UPDATE = declare("subscriber.update", Role.EDITOR, "change a subscriber's preferences or status")
UNSUBSCRIBE = declare("subscriber.unsubscribe", Role.EDITOR, "unsubscribe a subscriber (suppressed)")
FORGET = declare("subscriber.forget", Role.EDITOR, "erase a subscriber's personal data (a hash stays suppressed)")
IMPORT = declare("subscriber.import", Role.EDITOR, "import subscribers from CSV")
EXPORT = declare("subscriber.export", Role.VIEWER, "export the subscribers as CSV")
RESEND = declare("subscriber.resend_confirmation", Role.EDITOR, "mail a pending subscriber's confirmation again")

#: The consent and unsubscribe ``source`` recorded for each door (as before the action layer).
_SOURCES = {Door.CLI: "cli", Door.API: "api", Door.CONSOLE: "admin", Door.SERVICE: "service"}

__all__ = ["HistoryRow", "ImportReport", "Profile", "StateError", "SubscriberQuery"]


def source_of(actor: Actor) -> str:
    """How a change came in, as consent records and suppression details name it."""
    return _SOURCES[actor.door]


def _target(subscriber_id: int | None) -> str:
    return f"subscriber:{subscriber_id}"


def _require(act: Act, subscriber_id: int) -> Subscriber:
    sub = db.get(act.store, subscriber_id)
    if sub is None or sub.status is SubscriberStatus.FORGOTTEN:
        raise NotFoundError(f"no subscriber {subscriber_id}")
    return sub


# Reads --------------------------------------------------------------------------------


def shown_to(role: Role, sub: Subscriber) -> Subscriber:
    """``sub`` as an admin of ``role`` may see it: a viewer gets no personal data beyond
    the address (:func:`~digest.subscribers.membership.without_personal_data`), on
    every page, export and API answer."""
    return sub if role.allows(Role.EDITOR) else subs.without_personal_data(sub)


def get(ops: Operations, subscriber_id: int) -> Subscriber | None:
    """The subscriber with this id, or None."""
    return db.get(ops.store, subscriber_id)


def find(ops: Operations, email: str) -> Subscriber:
    """The subscriber with this address (NotFoundError when not on the list)."""
    return subs.find(ops.store, email)


def search(
    ops: Operations, *, status: SubscriberStatus | None, text: str | None, limit: int, offset: int
) -> tuple[list[Subscriber], int]:
    """One page of subscribers by id (status and a text in address or name), and the total."""
    found = db.search(ops.store, status=status, text=text, limit=limit, offset=offset)
    return found, db.count(ops.store, status=status, text=text)


def every(ops: Operations) -> Iterator[Subscriber]:
    """Every subscriber, by id."""
    return db.iter_all(ops.store)


def listing(ops: Operations, query: SubscriberQuery, *, limit: int, offset: int) -> tuple[list[Subscriber], int]:
    """The console's filtered, sorted page of subscribers and the total matching."""
    return listings.find_subscribers(ops.store, query, limit=limit, offset=offset)


def history(ops: Operations, subscriber_id: int) -> list[HistoryRow]:
    """A subscriber's latest deliveries, newest first."""
    return listings.delivery_history(ops.store, subscriber_id)


def known_topics(ops: Operations) -> list[str]:
    """The categories a subscriber may pick."""
    return subs.known_topics(ops.settings, ops.store)


def check_profile(ops: Operations, **fields: Any) -> tuple[Profile, list[str]]:
    """Validate a profile's fields (name, language, topics, timezone, send_at) against
    the settings and the known categories; the profile and its warnings."""
    return subs.check_profile(ops.settings, known_topics(ops), **fields)


# Changes ------------------------------------------------------------------------------


def add(
    ops: Operations,
    actor: Actor,
    email: str,
    profile: Profile,
    *,
    confirmed: bool = False,
    override_suppression: bool = False,
) -> Subscriber:
    """Add one subscriber (see :func:`digest.subscribers.membership.add`)."""
    with ops.act(actor, ADD) as act:
        consent = Consent(at=act.now, source=source_of(actor))
        sub = subs.add(
            act.store, ops.settings, email, profile, consent=consent, confirmed=confirmed,
            override_suppression=override_suppression, now=act.now,
        )  # fmt: skip
        act.target = _target(sub.id)
        act.details(status=sub.status.value, override_suppression=override_suppression)
        return sub


def update(
    ops: Operations,
    actor: Actor,
    subscriber_id: int,
    *,
    profile: Profile | None = None,
    status: SubscriberStatus | None = None,
    override_suppression: bool = False,
) -> Subscriber:
    """Change the preferences (``profile``) and/or the status (confirmed, unsubscribed)
    of a subscriber, in one transaction; each changed field audited before and after."""
    with ops.act(actor, UPDATE, target=_target(subscriber_id)) as act:
        before = sub = _require(act, subscriber_id)
        if profile is not None:
            sub = subs.update_profile(act.store, subscriber_id, profile, now=act.now)
        if status is not None and status is not sub.status:
            sub = subs.set_status(
                act.store, subscriber_id, status, now=act.now, source=source_of(actor),
                override_suppression=override_suppression,
            )  # fmt: skip
        old, new = subs.to_dict(before), subs.to_dict(sub)
        for key in ("name", "language", "topics", "timezone", "send_at", "status"):
            if old[key] != new[key]:
                act.change(key, old[key], new[key])
        return sub


def unsubscribe(ops: Operations, actor: Actor, subscriber_id: int) -> Subscriber:
    """Unsubscribe (suppressed, deliveries not yet sent skipped); idempotent."""
    with ops.act(actor, UNSUBSCRIBE, target=_target(subscriber_id)) as act:
        return subs.unsubscribe(act.store, subscriber_id, now=act.now, source=source_of(actor))


def forget(ops: Operations, actor: Actor, subscriber_id: int) -> None:
    """Erase the personal data; only a hashed suppression entry remains."""
    with ops.act(actor, FORGET, target=_target(subscriber_id)) as act:
        subs.forget(act.store, subscriber_id, now=act.now)


def import_csv(ops: Operations, actor: Actor, data: bytes, *, name: str, confirmed: bool = False) -> ImportReport:
    """Import CSV bytes (see :mod:`digest.subscribers.csv_file`): the valid rows and the
    audit row commit together; the report lists every rejected row."""
    # The file's own name: the same whether a path (CLI) or an upload's name (web).
    with ops.act(actor, IMPORT, target=PurePath(name).name[:200]) as act:
        report = csv_file.import_bytes(act.store, ops.settings, data, name=name, confirmed=confirmed, now=act.now)
        act.details(added=report.added, unchanged=report.unchanged, rejected=len(report.rejected), confirmed=confirmed)
        return report


def export_csv(ops: Operations, actor: Actor, out: TextIO) -> int:
    """Write every subscriber but erased ones as re-importable CSV; the row count."""
    with ops.act(actor, EXPORT) as act:
        n = csv_file.export_csv(act.store, out, shown=lambda sub: shown_to(actor.role, sub))
        act.details(rows=n)
        return n


def resend_confirmation(ops: Operations, actor: Actor, subscriber_id: int) -> Subscriber:
    """Audit that a pending subscriber's confirmation mail goes again, and return them
    (the door sends it: :func:`send_confirmations` or the web app's mailer); StateError
    when the subscriber is not pending."""
    with ops.act(actor, RESEND, target=_target(subscriber_id)) as act:
        sub = _require(act, subscriber_id)
        if sub.status is not SubscriberStatus.PENDING:
            raise StateError(f"subscriber {subscriber_id} is {sub.status.value}: only a pending one is mailed")
        return sub


def smtp_mailer(ops: Operations) -> SMTPMailer:
    """The one mail path ([smtp] and [dkim]) for a one-off mail, on ``ops``'s clock."""
    return SMTPMailer.from_settings(ops.settings, clock=ops.clock)


def send_confirmations(ops: Operations, pending: Sequence[Subscriber], *, warn: Callable[[str], None]) -> int:
    """Send the double opt-in mail to each of ``pending`` over [smtp] (the CLI's way;
    the web app has its own mailer); ``warn`` hears of each one not sent. Returns how
    many the SMTP server accepted."""
    if not pending:
        return 0
    try:
        links = subs.signed_links(ops.settings)
        mailer = smtp_mailer(ops)
    except ConfigError as exc:
        warn(f"confirmation mails not sent: {exc}")
        return 0
    now = ops.clock()
    # One message that cannot be built costs only its own row, never the others'.
    built: list[tuple[Subscriber, EmailMessage]] = []
    for sub in pending:
        try:
            built.append((sub, confirmation_for(ops.settings, links, sub, now=now)))
        except (ValueError, DigestError) as exc:
            warn(f"confirmation mail to {sub.email} not sent: {exc}")
    results = asyncio.run(mailer.send_many([m for _, m in built])) if built else []
    for (sub, _), error in zip(built, results, strict=True):
        if error is not None:
            warn(f"confirmation mail to {sub.email} not sent: {error}")
    return sum(1 for e in results if e is None)


def pending_of(subscribers: Iterable[Subscriber]) -> list[Subscriber]:
    """Those of ``subscribers`` waiting for their confirmation."""
    return [s for s in subscribers if s.status is SubscriberStatus.PENDING]
