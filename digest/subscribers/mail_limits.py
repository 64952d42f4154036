"""What the public pages' mails need from the list: who an address belongs to, and
whether one more mail may go to it ([web] confirmations_*: per address per day, per
hour in total), counted in the database so the limits hold across processes and
restarts. The pages (digest.web.mail_limits, digest.web.reader_mail) call these."""

from __future__ import annotations

from datetime import datetime

from digest.models import Subscriber
from digest.store import Store
from digest.store import consent as requests
from digest.store import subscribers as db


def reserve_mail(store: Store, address: str, *, per_address_per_day: int, per_hour: int, now: datetime) -> bool:
    """Count one mail to ``address`` unless that would pass a limit; True when it may go."""
    with db.transaction(store) as tx:
        return requests.reserve_confirmation(
            tx, address, per_address_per_day=per_address_per_day, per_hour=per_hour, now=now
        )


def subscriber_at(store: Store, address: str) -> Subscriber | None:
    """The subscriber with this (normalised) address, or None."""
    return db.by_email(store, address)
