"""The two mails a reader asks for without knowing it: "here is your preferences link"
(/account) and "you are already subscribed" (the subscribe form, again, with a
confirmed address). Both carry the subscriber's signed preferences link, go out on the
one mail path (:mod:`digest.deliver.mailer`) and obey the abuse limits of
:func:`may_send_to`.

They are sent from a background task, after the page has been answered: the page
and its timing are the same whether or not the address is on the list.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Literal

from digest import i18n
from digest.config import Settings
from digest.errors import DeliveryError
from digest.i18n import N_
from digest.logs import mask_email
from digest.mail.transactional import transactional_message
from digest.models import Subscriber, SubscriberStatus
from digest.store import subscribers as db
from digest.text import names
from digest.web.context import WebContext
from digest.web.mail_limits import confirmation_allowed

log = logging.getLogger(__name__)

Reason = Literal["requested", "already"]

_SUBJECTS: dict[Reason, str] = {
    "requested": N_("Your %(newsletter)s preferences link"),
    "already": N_("You are already subscribed %(to_newsletter)s"),
}


async def may_send_to(ctx: WebContext, address: str) -> bool:
    """Whether one more reader mail may go to ``address`` now: the confirmation mails'
    limits per address and per hour, counted in the database with them."""
    return await confirmation_allowed(ctx, address)


def link_message(
    settings: Settings, subscriber: Subscriber, preferences_url: str, *, reason: Reason, now: datetime
) -> EmailMessage:
    """The mail with ``subscriber``'s preferences link, in their language."""
    language = subscriber.language if subscriber.language in i18n.languages() else "en"
    newsletter = settings.newsletter.name
    phrases = names.phrases(newsletter, language, settings.newsletter.name_article)
    context = {
        "lang": language,
        "newsletter": newsletter,
        "name": subscriber.name,
        "reason": reason,
        "days": settings.web.token_max_age_days,
        "preferences_url": preferences_url,
        "postal_address": settings.newsletter.postal_address,
        **phrases,
    }
    return transactional_message(
        settings,
        to=Address(display_name=subscriber.name, addr_spec=subscriber.email),
        subject=i18n.gettext(language, _SUBJECTS[reason], newsletter=newsletter, **phrases),
        template="web/email/link",
        context=context,
        language=language,
        idstring="link",
        now=now,
    )


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
        sub = await ctx.db(db.by_email, ctx.store, address)
    except Exception:
        log.exception("account lookup failed")
        return
    if sub is not None:
        await send_link(ctx, sub, reason="requested")
