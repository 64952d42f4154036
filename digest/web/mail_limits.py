"""The limits on mails the public pages send (confirmations, links on request), kept in
the database so they hold across processes and restarts ([web] confirmations_*)."""

from __future__ import annotations

import logging

from digest import metrics
from digest.logs import mask_email
from digest.subscribers.mail_limits import reserve_mail
from digest.web.context import WebContext

log = logging.getLogger(__name__)


async def confirmation_allowed(ctx: WebContext, address: str) -> bool:
    """Whether the form may mail ``address`` now: the limits per address per day and
    per hour in total ([web] confirmations_per_*), counted in the database."""
    web = ctx.settings.web
    allowed = await ctx.db(
        reserve_mail,
        ctx.store,
        address,
        per_address_per_day=web.confirmations_per_address_per_day,
        per_hour=web.confirmations_per_hour,
        now=ctx.now(),
    )
    if not allowed:
        metrics.confirmation_mail("limited")
        log.info("confirmation mail held back by a limit", extra={"to": mask_email(address)})
    return allowed
