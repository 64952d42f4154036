"""The limits on mails the public pages send (confirmations, links on request), kept in
the database so they hold across processes and restarts ([web] confirmations_*)."""

from __future__ import annotations

import logging
from datetime import datetime

from digest import metrics
from digest.logs import mask_email
from digest.store import Store
from digest.store import consent as requests
from digest.store import subscribers as db
from digest.web.context import WebContext

log = logging.getLogger(__name__)


async def confirmation_allowed(ctx: WebContext, address: str) -> bool:
    """Whether the form may mail ``address`` now: the limits per address per day and
    per hour in total ([web] confirmations_per_*), counted in the database."""
    web = ctx.settings.web
    allowed: bool = await ctx.db(
        _reserve, ctx.store, address, web.confirmations_per_address_per_day, web.confirmations_per_hour, ctx.now()
    )
    if not allowed:
        metrics.confirmation_mail("limited")
        log.info("confirmation mail held back by a limit", extra={"to": mask_email(address)})
    return allowed


def _reserve(store: Store, address: str, per_address: int, per_hour: int, now: datetime) -> bool:
    with db.transaction(store) as tx:
        return requests.reserve_confirmation(tx, address, per_address_per_day=per_address, per_hour=per_hour, now=now)
