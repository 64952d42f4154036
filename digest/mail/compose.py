"""The glue between an edition and the sender: one finished message per subscriber.

:class:`EditionComposer` renders and inlines each variant of an edition (its language
and the subscriber's topic set) once, keeps it in a small cache, and turns it into a
subscriber's :class:`~digest.models.OutgoingMessage` with signed personal links, a
stable Message-ID and, when configured, a DKIM signature. The bytes it returns are
exactly the bytes to send.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from digest.config import Settings
from digest.errors import ConfigError, RenderError
from digest.links import Links, TrackedLinks
from digest.mail import mime
from digest.mail.dkim import DkimSigner
from digest.mail.envelope import envelope_from
from digest.mail.message import Personal, StaticHeaders
from digest.mail.variant import HTML_LIMIT, Variant, build_variant
from digest.mail.view import UNTRACKED, Masthead, Selection, Tracking, for_topics, variant_key
from digest.models import Edition, OutgoingMessage, Subscriber

#: Rendered variants kept per composer (an edition has one per language and topic set).
CACHE_SIZE = 64
TEST_HEADER = "X-Digest-Test"


@dataclass(frozen=True)
class MailSettings:
    """The configuration a composer needs, taken from [newsletter] and [smtp]."""

    newsletter: str
    sender: str
    reply_to: str = ""
    postal_address: str = ""
    logo_url: str = ""
    unsubscribe_mailto: str = ""
    feedback_id: str = "digest"
    envelope_from: str = ""
    locales: tuple[str, ...] = ()
    clicks: str = "off"  # [tracking] clicks: off, aggregate, per_subscriber
    opens: str = "off"  # [tracking] opens: off, aggregate

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings:
        """Read the keys from ``settings``."""
        n = settings.newsletter
        return cls(
            newsletter=n.name,
            sender=n.sender,
            reply_to=n.reply_to,
            postal_address=n.postal_address,
            logo_url=n.logo_url,
            unsubscribe_mailto=n.unsubscribe_mailto,
            feedback_id=n.feedback_id,
            envelope_from=settings.smtp.envelope_from,
            locales=n.locale,
            clicks=settings.tracking.clicks,
            opens=settings.tracking.opens,
        )

    @property
    def domain(self) -> str:
        """The sender's domain: Message-IDs and the List-Id live under it."""
        return mime.sender_domain(self.sender)


def load_signer(settings: Settings) -> DkimSigner | None:
    """The DKIM signer of [dkim], or None when signing is off (domain or key empty)."""
    d = settings.dkim
    if not d.domain or not d.private_key_path:
        return None
    if not d.selector:
        raise ConfigError("[dkim] selector: needed when [dkim] domain and private_key_path are set")
    path = settings.path(d.private_key_path)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"[dkim] private_key_path: cannot read {path}: {exc.strerror}") from None
    return DkimSigner.from_pem(pem, domain=d.domain, selector=d.selector, where=f"[dkim] private_key_path {path}")


def list_id(newsletter: str, domain: str) -> str:
    """The List-Id value (RFC 2919): ``Le Brief <le-brief.example.org>``."""
    # accents dropped (É -> E), any other character a separator: "L’Éco" -> "l-eco"
    folded = "".join(c for c in unicodedata.normalize("NFKD", newsletter) if not unicodedata.combining(c))
    label = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "digest"
    phrase = mime.phrase(newsletter)
    return f"{phrase} <{label}.{domain}>" if phrase else f"<{label}.{domain}>"


class EditionComposer:
    """Builds each subscriber's message of an edition; render once, personalise many."""

    def __init__(
        self,
        mail: MailSettings,
        links: Links,
        signer: DkimSigner | None = None,
        *,
        html_limit: int = HTML_LIMIT,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.mail = mail
        self.links = links
        self.tracked = TrackedLinks(links)
        self.signer = signer
        self.html_limit = html_limit
        self._cache_size = cache_size
        self._variants: OrderedDict[Hashable, tuple[Edition, Variant]] = OrderedDict()
        self._lock = threading.Lock()
        self._domain = mail.domain
        self._masthead = Masthead(mail.newsletter, mail.postal_address, mail.logo_url, mail.locales)
        self._headers = StaticHeaders(
            sender=mail.sender,
            list_id=list_id(mail.newsletter, self._domain),
            feedback_id="",
            reply_to=mail.reply_to,
            unsubscribe_mailto=mail.unsubscribe_mailto,
        )

    @classmethod
    def from_settings(cls, settings: Settings, links: Links) -> EditionComposer:
        """A composer configured from ``settings`` (DKIM from [dkim] when set)."""
        return cls(MailSettings.from_settings(settings), links, load_signer(settings))

    # --- variants --------------------------------------------------------------

    @property
    def cached_variants(self) -> tuple[Variant, ...]:
        """The variants rendered so far and still cached, oldest first."""
        with self._lock:
            return tuple(v for _, v in self._variants.values())

    def _feedback_id(self, edition: Edition) -> str:
        # Gmail's format, most specific first: campaign:type:...:sender id (stable)
        return f"{edition.edition_date:%Y%m%d}{edition.language}:edition:{self.mail.feedback_id}"

    def variant(
        self, edition: Edition, topics: Sequence[str] = (), *, test: bool = False, tracked: bool = True
    ) -> Variant:
        """The rendered variant of ``edition`` for a topic set (cached); with ``tracked``
        False its links lead straight to the articles (as a test copy's do)."""
        selection = for_topics(edition, topics)
        return self._variant(edition, selection, test=test, tracked=tracked)

    def _variant(self, edition: Edition, selection: Selection, *, test: bool, tracked: bool = True) -> Variant:
        edition_key: Hashable = edition.id if edition.id is not None else ("unsaved", id(edition))
        # built_at, the items and words tell a rebuilt or edited edition (same id, new content) apart
        content = (edition.built_at, edition.items, edition.word_count)
        key = (edition_key, content, edition.newsletter, edition.edition_date, edition.language,
               selection.topics, selection.topics_missed, test, tracked)  # fmt: skip
        with self._lock:
            hit = self._variants.get(key)
            if hit is not None:
                self._variants.move_to_end(key)
                return hit[1]
            headers = replace(self._headers, feedback_id=self._feedback_id(edition))
            if test:
                headers = replace(headers, subject_prefix="[TEST] ", extra=((TEST_HEADER, "yes"),))
            tracking = UNTRACKED if test or not tracked else self._tracking(edition, selection)
            built = build_variant(
                edition, selection, self._masthead, headers, html_limit=self.html_limit, tracking=tracking
            )
            self._variants[key] = (edition, built)  # the edition is kept so id() stays unique
            if len(self._variants) > self._cache_size:
                self._variants.popitem(last=False)
            return built

    def _tracking(self, edition: Edition, selection: Selection) -> Tracking:
        """The variant's tracked links per [tracking]: one signed token per story and
        variant (no person in it), so a variant is still rendered once."""
        if edition.id is None or (self.mail.clicks == "off" and self.mail.opens == "off"):
            return UNTRACKED
        key = variant_key(selection.topics)
        clicks = (
            {i.position: self.tracked.click(edition.id, i.position, key) for i in selection.items if i.url}
            if self.mail.clicks != "off"
            else {}
        )
        image = self.tracked.open_image(edition.id, key) if self.mail.opens == "aggregate" else ""
        return Tracking(clicks=clicks, open_image=image)

    def _stamp(self, edition: Edition, subscriber: Subscriber, now: datetime) -> str:
        """The message's stamp for its tracked links ("" when nothing is tracked): its
        send time, and the reader's id only under per-person tracking they agreed to."""
        if edition.id is None or (self.mail.clicks == "off" and self.mail.opens == "off"):
            return ""
        person = subscriber.id if self.mail.clicks == "per_subscriber" and subscriber.tracking_consent else None
        return self.tracked.stamp(edition.id, now=now, subscriber_id=person)

    # --- messages --------------------------------------------------------------

    def _message_id(self, edition: Edition, subscriber: Subscriber) -> str:
        """Stable per (edition, subscriber): a resend after a crash carries the same
        Message-ID, which lets receivers that de-duplicate on it do so."""
        e, s = edition, subscriber
        seed = f"{self.mail.newsletter}|{e.id}|{e.edition_date}|{e.language}|{s.id}|{s.email}"
        digest = hashlib.blake2b(seed.encode("utf-8"), digest_size=10).hexdigest()
        return f"{edition.edition_date:%Y%m%d}.{edition.language}.{digest}@{self._domain}"

    def compose(
        self,
        edition: Edition,
        subscriber: Subscriber,
        *,
        delivery_id: int | None,
        now: datetime,
        tracked: bool = True,
    ) -> OutgoingMessage:
        """``subscriber``'s message of ``edition``: only their topics (all when they
        chose none), their name, their signed links; dated and signed at ``now``. A
        preview passes ``tracked=False``: its story links lead straight to the articles,
        so looking at it counts no click."""
        if subscriber.id is None:
            raise RenderError(f"subscriber {subscriber.email} has no id: links cannot be signed")
        variant = self.variant(edition, subscriber.topics, tracked=tracked)
        links = self.links.for_subscriber(edition.id or 0, subscriber.id, now=now)
        personal = Personal(
            email=subscriber.email,
            name=subscriber.name,
            unsubscribe=links.unsubscribe,
            preferences=links.preferences,
            archive=links.archive,
            message_id=self._message_id(edition, subscriber),
            date=now,
            mailto_token=self.links.tokens.make_short("mailto", subscriber.id) if self.mail.unsubscribe_mailto else "",
            stamp=self._stamp(edition, subscriber, now) if tracked else "",
        )
        return self._outgoing(variant, personal, delivery_id=delivery_id, subscriber_id=subscriber.id)

    def compose_test(self, edition: Edition, address: str, now: datetime) -> OutgoingMessage:
        """A test copy for ``digest send --to``: the full edition, "[TEST]" in the
        subject and an X-Digest-Test header; its links are signed for no subscriber."""
        variant = self.variant(edition, (), test=True)
        links = self.links.for_subscriber(edition.id or 0, 0, now=now)
        personal = Personal(
            email=address,
            name="",
            unsubscribe=links.unsubscribe,
            preferences=links.preferences,
            archive=links.archive,
            message_id=f"test.{uuid.uuid4().hex}@{self._domain}",
            date=now,
        )
        return self._outgoing(variant, personal, delivery_id=None, subscriber_id=None)

    def _outgoing(
        self, variant: Variant, personal: Personal, *, delivery_id: int | None, subscriber_id: int | None
    ) -> OutgoingMessage:
        data = variant.template.message(personal, signer=self.signer)
        message_id = f"<{personal.message_id}>"
        return OutgoingMessage(
            mail_from=envelope_from(self.mail.envelope_from, self.mail.sender, personal.email),
            rcpt_to=personal.email,
            data=data,
            message_id=message_id,
            delivery_id=delivery_id,
            subscriber_id=subscriber_id,
            headers={
                "Message-ID": message_id,
                "Subject": variant.template.headers.subject_prefix + variant.rendered.subject,
            },
        )
