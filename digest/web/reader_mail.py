"""The two mails a reader asks for without knowing it: "here is your preferences link"
(/account) and "you are already subscribed" (the subscribe form, again, with a
confirmed address). Both carry the subscriber's signed preferences link, are composed
by :func:`digest.mail.transactional.link_message`, go out on the one mail path
(:mod:`digest.deliver.mailer`) and obey the abuse limits of :func:`may_send_to`.

They are sent from a background task, after the page has been answered: the page
and its timing are the same whether or not the address is on the list.
"""

from __future__ import annotations

import logging

from digest.errors import DeliveryError
from digest.logs import mask_email
from digest.mail.transactional import Reason, link_message
from digest.models import Subscriber, SubscriberStatus
from digest.subscribers.mail_limits import subscriber_at
from digest.web.context import WebContext
from digest.web.mail_limits import confirmation_allowed

log = logging.getLogger(__name__)


async def may_send_to(ctx: WebContext, address: str) -> bool:
    """Whether one more reader mail may go to ``address`` now: the confirmation mails'
    limits per address and per hour, counted in the database with them."""
    return await confirmation_allowed(ctx, address)


async def send_link(ctx: WebContext, sub: Subscriber, *, reason: Reason) -> None:
    """Mail ``sub`` its preferences link when it is confirmed and within the limits;
    failures are logged (a background task must not take the server down)."""
    if sub.id is None or sub.status is not SubscriberStatus.CONFIRMED:
        return
    now = ctx.now()
    if not await may_send_to(ctx, sub.email):
        log.info("reader mail not sent (limit)", extra={"subscriber_id": sub.id, "reason": reason})
        return
    message = link_message(ctx.settings, sub, ctx.links.preferences(sub.id, now=now), reason=reason, now=now)
    try:
        await ctx.mailer.send(message)
    except DeliveryError as exc:
        log.warning("reader mail not sent", extra={"subscriber_id": sub.id, "error": str(exc)})
    except Exception:
        log.exception("reader mail failed", extra={"subscriber_id": sub.id})
    else:
        log.info("reader mail sent", extra={"subscriber_id": sub.id, "reason": reason, "to": mask_email(sub.email)})


async def send_link_to_address(ctx: WebContext, address: str) -> None:
    """/account: look the address up and mail the link if it is a confirmed subscriber
    (nothing otherwise; the page said the same either way)."""
    try:
        sub = await ctx.db(subscriber_at, ctx.store, address)
    except Exception:
        log.exception("account lookup failed")
        return
    if sub is not None:
        await send_link(ctx, sub, reason="requested")
