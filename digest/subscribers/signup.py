"""The anonymous subscribe form: a request that changes nothing until it is confirmed.

Anyone can type anyone's address into the form, so a request proves nothing until the
person clicks the link mailed to that address. Hence:

* A new address becomes a PENDING subscriber (nothing existing is touched).
* For an address already on the list (pending, or one that left), the request (profile
  and consent details) is stored apart in ``subscription_requests``; the subscriber row,
  its profile, consent record and suppression stay as they are. The confirmation link
  names the request, and :func:`confirm_request` applies it.
* A confirmed subscriber is left alone; a bounced or complained-about address is blocked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from digest.errors import NotFoundError
from digest.models import Consent, Subscriber, SubscriberStatus
from digest.store import Store
from digest.store import consent as requests
from digest.store import subscribers as db
from digest.subscribers.membership import (
    SELF_LIFTABLE,
    Profile,
    StateError,
    lift_own_suppression,
    normalise_address,
    profile_values,
)


class Outcome(enum.StrEnum):
    """What a web subscription did (the page says the same thing in every case)."""

    NEW = "new"  # a new pending subscriber: send the confirmation
    PENDING = "pending"  # already pending: a request kept apart, confirmation sent again
    RESUBSCRIBED = "resubscribed"  # had left: a request kept apart until they confirm
    ALREADY = "already"  # already confirmed: nothing changes, nothing is sent
    BLOCKED = "blocked"  # bounced or complained: nothing is sent


@dataclass(frozen=True)
class Subscription:
    """The result of :func:`subscribe`: the subscriber as stored (unchanged when it
    already existed) and, for an existing one, the id of the request kept apart."""

    outcome: Outcome
    subscriber: Subscriber | None
    request_id: int | None = None

    @property
    def needs_confirmation_mail(self) -> bool:
        """Whether to send the double opt-in mail now."""
        return self.outcome in (Outcome.NEW, Outcome.PENDING, Outcome.RESUBSCRIBED)


def subscribe(store: Store, email: str, profile: Profile, *, consent: Consent, now: datetime) -> Subscription:
    """A person asks to subscribe (web form). An existing subscriber is never changed:
    their request waits apart until confirmed (:func:`confirm_request`)."""
    address = normalise_address(email)
    with db.transaction(store) as tx:
        existing = db.by_email(tx, address)
        suppressed = db.suppression(tx, address)
        if suppressed is not None and suppressed.reason not in SELF_LIFTABLE:
            return Subscription(Outcome.BLOCKED, None)
        if existing is not None and existing.status is SubscriberStatus.BOUNCED:
            return Subscription(Outcome.BLOCKED, None)
        if existing is not None and existing.status is SubscriberStatus.CONFIRMED:
            return Subscription(Outcome.ALREADY, existing)
        if existing is not None:
            assert existing.id is not None
            outcome = Outcome.PENDING if existing.status is SubscriberStatus.PENDING else Outcome.RESUBSCRIBED
            request_id = requests.add_request(tx, existing.id, profile, consent=consent, now=now)
            return Subscription(outcome, existing, request_id)
        sub = Subscriber(email=address, created_at=now, consent=consent, **profile_values(profile))
        sub = replace(sub, id=db.insert_subscriber(tx, sub, now=now))
        return Subscription(Outcome.RESUBSCRIBED if suppressed else Outcome.NEW, sub)


def request_subscriber(store: Store, request_id: int) -> Subscriber:
    """The subscriber a request is about (NotFoundError when gone)."""
    with db.transaction(store) as tx:
        request = requests.get_request(tx, request_id)
        sub = db.get(tx, request.subscriber_id) if request is not None else None
    if sub is None or sub.status is SubscriberStatus.FORGOTTEN:
        raise NotFoundError(f"no subscription request {request_id}")
    return sub


def confirm_request(store: Store, request_id: int, *, now: datetime) -> Subscriber:
    """The person confirmed through the emailed link: their request's profile and
    consent become the subscriber's, who is CONFIRMED, and a suppression they had put
    on themselves (unsubscribed, forgotten) is lifted. Confirming twice is harmless;
    StateError when the address bounced or complained meanwhile."""
    with db.transaction(store) as tx:
        request = requests.get_request(tx, request_id)
        sub = db.get(tx, request.subscriber_id) if request is not None else None
        if request is None or sub is None or sub.status is SubscriberStatus.FORGOTTEN:
            raise NotFoundError(f"no subscription request {request_id}")
        if request.applied_at is not None and sub.status is SubscriberStatus.CONFIRMED:
            return sub
        if sub.status is SubscriberStatus.BOUNCED:
            raise StateError(f"subscriber {sub.id} bounced: cannot be confirmed")
        lift_own_suppression(tx, sub)
        sub = replace(
            sub,
            **profile_values(request),
            consent=request.consent,
            status=SubscriberStatus.CONFIRMED,
            confirmed_at=now,
            unsubscribed_at=None,
        )
        db.update_subscriber(tx, sub, now=now)
        requests.mark_applied(tx, request, now=now)
        return sub
