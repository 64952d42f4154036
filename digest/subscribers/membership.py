"""The subscriber list: who may join, how they confirm, change their mind and leave.

Every front door (CLI, web pages, admin API, CSV import in
:mod:`digest.subscribers.csv_file`) goes through these functions, so the rules live here:

* An address is validated and normalised with email-validator (syntax only, no DNS),
  then lower-cased: ``Jean.Dupont@Example.ORG`` and ``jean.dupont@example.org`` are one
  subscriber. Languages are those with a message catalogue
  (:func:`digest.i18n.languages`), timezones from the IANA database, send
  times are ``HH:MM``; topics are checked against the known categories and an unknown
  one is kept with a warning.
* Only CONFIRMED subscribers receive editions. The web form creates PENDING subscribers
  and a confirmation mail (double opt-in); admins may add confirmed ones explicitly.
* Leaving puts the address on the suppression list (a SHA-256 hash, see
  :func:`digest.store.subscribers.address_hash`). A suppressed address is never added
  back silently: an admin must pass ``override_suppression=True``, and a person who
  unsubscribed can come back only by confirming a new subscription themselves.
  Bounced or complained-about addresses cannot come back through the web form at all.
* ``forget`` erases the personal data and keeps only the hashed suppression entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, time
from typing import Any

from digest import metrics
from digest.config import Settings, read_secret
from digest.errors import ConfigError, DigestError, NotFoundError, ValidationError
from digest.links import Links
from digest.models import Consent, Subscriber, SubscriberStatus
from digest.store import Store
from digest.store import consent as consent_db
from digest.store import subscribers as db
from digest.store import tracking as tracking_db
from digest.store.categories import categories_by_language
from digest.store.deliveries import skip_open_deliveries
from digest.store.subscribers import HasProfile
from digest.subscribers.profile import (
    MAX_NAME_LENGTH,
    check_language,
    check_name,
    check_send_at,
    check_timezone,
    check_topics,
    normalise_address,
    split_topics,
)
from digest.tokens import Tokens

# The field checks live in digest.subscribers.profile; every front door reaches them from here.
__all__ = [
    "MAX_NAME_LENGTH",
    "check_language",
    "check_name",
    "check_send_at",
    "check_timezone",
    "check_topics",
    "normalise_address",
    "split_topics",
]

#: Suppression reasons a person may lift by confirming a new subscription themselves.
SELF_LIFTABLE = frozenset({"unsubscribed", "forgotten"})


class AlreadySubscribed(DigestError):
    """The address is already on the list."""


class SuppressedAddress(DigestError):
    """The address is on the suppression list and was not added back."""


def signed_links(settings: Settings) -> Links:
    """The signed public links (confirm, unsubscribe, ...) under [newsletter] base_url;
    ConfigError when the signing key is not set."""
    secret = read_secret(settings, "web", "secret_key")
    if not secret:
        var = settings.web.secret_key_env
        raise ConfigError(f"no signing key for links: set {var} (or [web] secret_key_file)")
    max_age = int(settings.web.token_max_age_days) * 86400
    return Links(settings.newsletter.base_url, Tokens(secret, max_age_seconds=max_age))


def known_topics(settings: Settings, store: Store) -> list[str]:
    """The categories a subscriber may pick: ``[newsletter] categories`` when set, else
    those seen on stored articles and feeds."""
    configured: list[str] = list(settings.newsletter.categories)
    return configured or db.known_categories(store)


@dataclass(frozen=True)
class Profile:
    """The validated, person-chosen fields of a subscriber."""

    name: str = ""
    language: str = "fr"
    topics: tuple[str, ...] = ()
    timezone: str = ""
    send_at: time | None = None


def check_profile(
    settings: Settings,
    known: Sequence[str],
    *,
    name: str | None = None,
    language: str | None = None,
    topics: str | Iterable[str] | None = None,
    timezone: str | None = None,
    send_at: str | time | None = None,
) -> tuple[Profile, list[str]]:
    """Validate every field against the settings and the ``known`` categories (see
    :func:`known_topics`); the profile and the warnings (unknown topics)."""
    default_language = settings.newsletter.language
    checked_topics, warnings = check_topics(topics, known)
    profile = Profile(
        name=check_name(name),
        language=check_language(language, default=default_language),
        topics=checked_topics,
        timezone=check_timezone(timezone),
        send_at=check_send_at(send_at),
    )
    return profile, warnings


# Adding ---------------------------------------------------------------------------


def profile_values(source: HasProfile) -> dict[str, Any]:
    """The fields of a :class:`Profile` that ``source`` (a profile, a subscriber, a
    request kept apart) has, as keyword arguments of a :class:`Subscriber`."""
    return {f.name: getattr(source, f.name) for f in fields(Profile)}


def lift_own_suppression(tx: db.Tx, sub: Subscriber) -> None:
    """Confirming lifts a suppression the person put on themselves (unsubscribed,
    forgotten); any other (bounce, complaint, manual) refuses with StateError."""
    suppressed = db.suppression(tx, sub.email)
    if suppressed is not None:
        if suppressed.reason not in SELF_LIFTABLE:
            raise StateError(f"subscriber {sub.id} is suppressed ({suppressed.reason})")
        db.unsuppress(tx, sub.email)


def add(
    store: Store,
    settings: Settings,
    email: str,
    profile: Profile,
    *,
    consent: Consent,
    confirmed: bool = False,
    override_suppression: bool = False,
    now: datetime,
) -> Subscriber:
    """Add one subscriber as an admin (CLI, API): PENDING, or CONFIRMED when the admin
    says consent was obtained. AlreadySubscribed when on the list; SuppressedAddress
    when suppressed, unless ``override_suppression`` (an explicit admin decision)."""
    address = normalise_address(email)
    status = SubscriberStatus.CONFIRMED if confirmed else SubscriberStatus.PENDING
    with db.transaction(store) as tx:
        existing = db.by_email(tx, address)
        suppressed = db.suppression(tx, address)
        if existing is not None and existing.status not in db.SUPPRESSED_STATUSES:
            raise AlreadySubscribed(f"{address} is already on the list ({existing.status.value})")
        if suppressed is not None or existing is not None:
            if not override_suppression:
                if suppressed is not None:
                    reason, when = suppressed.reason, f" on {suppressed.created_at:%Y-%m-%d}"
                else:
                    reason, when = existing.status.value if existing else "", ""
                raise SuppressedAddress(
                    f"{address} is suppressed ({reason}{when}): not added back; "
                    "the person can subscribe again through the web form"
                )
            _override(tx, address, suppressed, existing, source=consent.source, now=now)
        fresh = Subscriber(
            email=address,
            **profile_values(profile),
            status=status,
            created_at=now,
            confirmed_at=now if confirmed else None,
            consent=consent,
        )
        if existing is not None:
            # The override brings the person back as they were: their own profile is
            # kept, whatever the admin's form defaulted to.
            fresh = replace(
                existing, status=status, confirmed_at=fresh.confirmed_at, unsubscribed_at=None, consent=consent
            )
            db.update_subscriber(tx, fresh, now=now)
            return fresh
        new_id = db.insert_subscriber(tx, fresh, now=now)
    return replace(fresh, id=new_id)


def _override(
    tx: db.Tx,
    address: str,
    suppressed: db.Suppression | None,
    existing: Subscriber | None,
    *,
    source: str,
    now: datetime,
) -> None:
    """An admin lifts ``address``'s suppression: lifted and recorded."""
    reason = suppressed.reason if suppressed is not None else (existing.status.value if existing else "")
    consent_db.record_override(tx, address, reason=reason, source=source, detail="", now=now)
    db.unsuppress(tx, address)


# Changing -------------------------------------------------------------------------


def require(tx: db.Tx, subscriber_id: int) -> Subscriber:
    """The subscriber ``subscriber_id`` (not forgotten), or NotFoundError."""
    sub = db.get(tx, subscriber_id)
    if sub is None or sub.status is SubscriberStatus.FORGOTTEN:
        raise NotFoundError(f"no subscriber {subscriber_id}")
    return sub


class StateError(DigestError):
    """The subscriber is not in a state that allows this change."""


def confirm(store: Store, subscriber_id: int, *, now: datetime) -> Subscriber:
    """Double opt-in: PENDING becomes CONFIRMED (and a suppression the person had put
    on themselves is lifted). Confirming twice is harmless. A subscriber who left or
    bounced is not brought back by an old link (StateError)."""
    with db.transaction(store) as tx:
        sub = require(tx, subscriber_id)
        if sub.status is SubscriberStatus.CONFIRMED:
            return sub
        if sub.status is not SubscriberStatus.PENDING:
            raise StateError(f"subscriber {subscriber_id} is {sub.status.value}: subscribe again to come back")
        lift_own_suppression(tx, sub)
        sub = replace(sub, status=SubscriberStatus.CONFIRMED, confirmed_at=now, unsubscribed_at=None)
        db.update_subscriber(tx, sub, now=now)
        return sub


def update_profile(store: Store, subscriber_id: int, profile: Profile, *, now: datetime) -> Subscriber:
    """Replace a subscriber's preferences (language, topics, send time, timezone, name)."""
    with db.transaction(store) as tx:
        sub = require(tx, subscriber_id)
        if sub.status in db.SUPPRESSED_STATUSES:
            raise StateError(f"subscriber {subscriber_id} is {sub.status.value}")
        sub = replace(sub, **profile_values(profile))
        db.update_subscriber(tx, sub, now=now)
        return sub


def unsubscribe(store: Store, subscriber_id: int, *, now: datetime, source: str) -> Subscriber:
    """Leave the list: UNSUBSCRIBED, suppressed, deliveries not yet sent skipped.
    Idempotent: the first date is kept. ``source`` says how (link, one-click, cli, api)."""
    with db.transaction(store) as tx:
        sub = require(tx, subscriber_id)
        db.suppress(tx, sub.email, "unsubscribed", now=now, detail=source)
        skip_open_deliveries(tx, subscriber_id, now=now, reason="unsubscribed")
        if sub.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED):
            return sub
        sub = replace(sub, status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=now)
        db.update_subscriber(tx, sub, now=now)
    metrics.unsubscribed(source)
    return sub


def mark_bounced(store: Store, subscriber_id: int, *, now: datetime, detail: str = "") -> Subscriber:
    """A hard bounce (5.x.x) or too many soft ones: BOUNCED, suppressed as
    ``hard_bounce``, deliveries not yet sent skipped. For the delivery and bounce code."""
    with db.transaction(store) as tx:
        sub = require(tx, subscriber_id)
        db.suppress(tx, sub.email, "hard_bounce", now=now, detail=detail[:500])
        skip_open_deliveries(tx, subscriber_id, now=now, reason="bounced")
        if sub.status is SubscriberStatus.BOUNCED:
            return sub
        sub = replace(sub, status=SubscriberStatus.BOUNCED)
        db.update_subscriber(tx, sub, now=now)
        return sub


def get(store: Store, subscriber_id: int) -> Subscriber | None:
    """The subscriber with this id (in any status), or None."""
    return db.get(store, subscriber_id)


def topics_by_language(store: Store) -> dict[str, set[str]]:
    """Language code -> the categories seen on its articles and feeds."""
    return categories_by_language(store)


def find(store: Store, email: str) -> Subscriber:
    """The subscriber with this address (NotFoundError when not on the list)."""
    address = normalise_address(email)
    sub = db.by_email(store, address)
    if sub is None:
        raise NotFoundError(f"{address} is not on the list")
    return sub


def forget(store: Store, subscriber_id: int, *, now: datetime) -> None:
    """Erase a subscriber's personal data on request (GDPR art. 17). The address stays
    suppressed as a hash, so a later import cannot add it back by mistake."""
    with db.transaction(store) as tx:
        sub = require(tx, subscriber_id)
        db.suppress(tx, sub.email, "forgotten", now=now)
        skip_open_deliveries(tx, subscriber_id, now=now, reason="forgotten")
        consent_db.forget_requests(tx, subscriber_id)
        tracking_db.forget(tx, subscriber_id)
        db.erase(tx, subscriber_id, now=now)


def set_status(
    store: Store,
    subscriber_id: int,
    status: SubscriberStatus,
    *,
    now: datetime,
    source: str,
    override_suppression: bool = False,
) -> Subscriber:
    """Admin status change: confirm a pending subscriber or unsubscribe one. A
    suppressed address (or one that left) is confirmed only with
    ``override_suppression``: its profile is kept and the override recorded."""
    if status is SubscriberStatus.UNSUBSCRIBED:
        return unsubscribe(store, subscriber_id, now=now, source=source)
    if status is not SubscriberStatus.CONFIRMED:
        raise ValidationError(f"status: can only be set to confirmed or unsubscribed, not {status.value!r}")
    with db.transaction(store) as tx:
        sub = require(tx, subscriber_id)
        if sub.status is SubscriberStatus.CONFIRMED:
            return sub
        suppressed = db.suppression(tx, sub.email)
        if suppressed is not None or sub.status is not SubscriberStatus.PENDING:
            if not override_suppression:
                reason = suppressed.reason if suppressed is not None else sub.status.value
                raise SuppressedAddress(
                    f"{sub.email} is suppressed ({reason}): not confirmed; pass override_suppression "
                    "to put it back (recorded), or let the person confirm a new subscription"
                )
            _override(tx, sub.email, suppressed, sub, source=source, now=now)
        sub = replace(sub, status=SubscriberStatus.CONFIRMED, confirmed_at=now, unsubscribed_at=None)
        db.update_subscriber(tx, sub, now=now)
        return sub


# Presenting -----------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def without_personal_data(sub: Subscriber) -> Subscriber:
    """``sub`` as a viewer may see it: the address, the list's own data (status,
    language, topics, dates) and no other personal data (no name, no consent IP
    address, no user agent)."""
    consent = replace(sub.consent, ip="", user_agent="") if sub.consent is not None else None
    return replace(sub, name="", consent=consent)


def to_dict(sub: Subscriber) -> dict[str, Any]:
    """A JSON-ready view of a subscriber (CLI --json and the admin API)."""
    consent = sub.consent
    return {
        "id": sub.id,
        "email": sub.email,
        "name": sub.name,
        "language": sub.language,
        "topics": list(sub.topics),
        "timezone": sub.timezone,
        "send_at": sub.send_at.strftime("%H:%M") if sub.send_at else "",
        "status": sub.status.value,
        "created_at": _iso(sub.created_at),
        "confirmed_at": _iso(sub.confirmed_at),
        "unsubscribed_at": _iso(sub.unsubscribed_at),
        "consent": None
        if consent is None
        else {
            "at": _iso(consent.at),
            "source": consent.source,
            "ip": consent.ip,
            "user_agent": consent.user_agent,
            "text_version": consent.text_version,
        },
    }
