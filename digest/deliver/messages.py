"""The messages the sender sends: each claimed delivery row composed for its subscriber.

:class:`EditionMessages` is the sender's composer over the store (the ``Messages`` the
sender loop needs): each claimed row's edition is loaded once and rendered once per
variant (digest.mail.compose), then personalised per subscriber and dated with the caller's
clock. The service, ``digest send``, ``digest worker``, the demo and the benchmarks all
send through it; "view in browser" shows the HTML part of the very same message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from digest.config import Settings
from digest.errors import NotFoundError
from digest.mail.compose import EditionComposer
from digest.mail.parts import html_part
from digest.models import Edition, OutgoingMessage
from digest.store import Store
from digest.store.claims import ClaimedDelivery
from digest.store.editions import get_edition
from digest.store.subscribers import get as get_subscriber
from digest.subscribers.membership import signed_links

Clock = Callable[[], datetime]


class EditionMessages:
    """The sender's composer over the store: each claimed row's edition is loaded once
    and rendered once per variant (digest.mail.compose), then personalised per subscriber,
    dated with ``clock``."""

    def __init__(self, store: Store, composer: EditionComposer, *, clock: Clock) -> None:
        self.store = store
        self.composer = composer
        self.clock = clock
        self._editions: dict[int, Edition] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, store: Store, *, clock: Clock) -> EditionMessages:
        """A composer configured from ``settings`` (links signed with [web] secret_key)."""
        return cls(store, EditionComposer.from_settings(settings, signed_links(settings)), clock=clock)

    def edition(self, edition_id: int) -> Edition:
        """The stored edition (cached: its content never changes once delivery started)."""
        with self._lock:
            found = self._editions.get(edition_id)
        if found is None:
            found = get_edition(self.store, edition_id)
            with self._lock:
                if len(self._editions) > 16:  # a few days of editions in a few languages
                    self._editions.clear()
                self._editions[edition_id] = found
        return found

    def message_for(self, delivery: ClaimedDelivery) -> OutgoingMessage:
        """The finished message for one claimed delivery row."""
        edition = self.edition(delivery.edition_id)
        return self.composer.compose(edition, delivery.subscriber, delivery_id=delivery.id, now=self.clock())

    def web_page(self, edition_id: int, subscriber_id: int) -> str | None:
        """ "View in browser": the HTML part of the message ``subscriber_id`` got (or
        would get) of the edition, with their own links; None when either is gone."""
        subscriber = get_subscriber(self.store, subscriber_id)
        if subscriber is None:
            return None
        try:
            edition = self.edition(edition_id)
        except NotFoundError:
            return None
        return html_part(self.composer.compose(edition, subscriber, delivery_id=None, now=self.clock()).data)
