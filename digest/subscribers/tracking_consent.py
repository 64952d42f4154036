"""A reader's own choice on per-person click tracking (the preferences page): asked
apart from the subscription, dated and sourced like it, revocable at any time."""

from __future__ import annotations

from digest.models import Consent
from digest.store import Store
from digest.store import subscribers as db
from digest.store import tracking as tracking_db
from digest.subscribers.membership import require

#: The version of the per-person tracking consent text on the preferences page,
#: recorded with each consent (change it when the text changes).
TRACKING_CONSENT_VERSION = "tracking-2026-12"


def tracking_consent(store: Store, subscriber_id: int) -> bool:
    """Whether the subscriber agreed to per-person click tracking (and has not revoked it)."""
    return tracking_db.has_consent(store, subscriber_id)


def set_tracking_consent(store: Store, subscriber_id: int, *, agreed: bool, consent: Consent) -> bool:
    """Record the reader's choice on per-person click tracking: a consent dated and
    sourced like the subscription's (``consent``), or its revocation at ``consent.at``
    (their past clicks then lose their id). True when something changed."""
    with db.transaction(store) as tx:
        require(tx, subscriber_id)
        if agreed:
            return tracking_db.grant(tx, subscriber_id, consent)
        return tracking_db.revoke(tx, subscriber_id, now=consent.at)
