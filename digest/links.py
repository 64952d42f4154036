"""The public URLs in emails and pages, each carrying a signed token.

One place builds them so the web routes (digest.web) and the templates agree:

- ``/confirm/{token}``        double opt-in confirmation (purpose "confirm": a subscriber;
                              purpose "request": a request kept apart, see digest.subscribers.signup)
- ``/unsubscribe/{token}``    GET: confirm page; POST: unsubscribe — the same URL is the
                              RFC 8058 one-click target in List-Unsubscribe (purpose "unsubscribe")
- ``/preferences/{token}``    language, topics, send time, timezone (purpose "preferences")
- ``/editions/{id}?t={token}`` "view in browser" (purpose "archive")
- ``/r/{token}?m={stamp}``    a story link through the click redirect (purpose "click": edition,
                              position, variant); the stamp is per message (see Tokens.make_stamp)
- ``/o/{token}?m={stamp}``    the open image of a variant (purpose "open")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.tokens import Tokens


@dataclass(frozen=True)
class SubscriberLinks:
    """The personal links of one subscriber for one edition."""

    unsubscribe: str
    preferences: str
    archive: str


class Links:
    """Builds signed URLs under the newsletter's public ``base_url``."""

    def __init__(self, base_url: str, tokens: Tokens) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens

    def confirm(self, subscriber_id: int, *, now: datetime | None = None) -> str:
        """The double opt-in confirmation link."""
        return f"{self.base_url}/confirm/{self.tokens.make('confirm', subscriber_id, now=now)}"

    def confirm_request(self, request_id: int, *, now: datetime | None = None) -> str:
        """The confirmation link of a subscription request kept apart (same page as
        :meth:`confirm`; the token's purpose tells them apart)."""
        return f"{self.base_url}/confirm/{self.tokens.make('request', request_id, now=now)}"

    def unsubscribe(self, subscriber_id: int, *, now: datetime | None = None) -> str:
        """The unsubscribe page, also the RFC 8058 one-click POST target."""
        return f"{self.base_url}/unsubscribe/{self.tokens.make('unsubscribe', subscriber_id, now=now)}"

    def preferences(self, subscriber_id: int, *, now: datetime | None = None) -> str:
        """The preferences page."""
        return f"{self.base_url}/preferences/{self.tokens.make('preferences', subscriber_id, now=now)}"

    def archive(self, edition_id: int, subscriber_id: int, *, now: datetime | None = None) -> str:
        """The edition on the web ("view in browser"); the token opens that edition only."""
        token = self.tokens.make("archive", subscriber_id, now=now, scope=str(edition_id))
        return f"{self.base_url}/editions/{edition_id}?t={token}"

    def for_subscriber(self, edition_id: int, subscriber_id: int, *, now: datetime | None = None) -> SubscriberLinks:
        """All personal links of a subscriber in one edition."""
        return SubscriberLinks(
            unsubscribe=self.unsubscribe(subscriber_id, now=now),
            preferences=self.preferences(subscriber_id, now=now),
            archive=self.archive(edition_id, subscriber_id, now=now),
        )


class TrackedLinks:
    """The tracked URLs of one edition variant, under the same ``base_url``."""

    def __init__(self, links: Links) -> None:
        self.base_url = links.base_url
        self.tokens = links.tokens

    def click(self, edition_id: int, position: int, variant: str) -> str:
        """The redirect to story ``position`` (without the per-message stamp)."""
        return f"{self.base_url}/r/{self.tokens.make_link('click', edition_id, position, variant)}"

    def open_image(self, edition_id: int, variant: str) -> str:
        """The variant's 1x1 open image (without the per-message stamp)."""
        return f"{self.base_url}/o/{self.tokens.make_link('open', edition_id, -1, variant)}"

    def stamp(self, edition_id: int, *, now: datetime, subscriber_id: int | None = None) -> str:
        """The query string each tracked link of one message ends with: ``?m=<stamp>``."""
        return "?m=" + self.tokens.make_stamp(edition_id, int(now.timestamp()), subscriber_id)
