"""GET /admin: today's editions, the service's health and the list in numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from digest.config import Settings
from digest.daily.desk import SendDecision, first_send_time, review_on, send_decision
from digest.models import Edition
from digest.store import Store, delivery_admin, schedule_runs
from digest.store import listings as console_store
from digest.store.desk import Approval, approvals
from digest.store.editions import editions_for_date
from digest.store.feeds import list_feeds
from digest.timing import edition_date_for
from digest.web.admin.core import Principal, page, render
from digest.web.context import context_of


@dataclass(frozen=True)
class EditionLine:
    """One edition as the dashboard and the editions pages show it."""

    edition: Edition
    send_at: datetime
    approval: Approval | None
    review: bool
    counts: dict[str, int]
    warning: str  # "held" or "sent_unapproved" once send time passed unapproved

    @property
    def started(self) -> bool:
        """Whether any delivery row exists (its content is locked)."""
        return sum(self.counts.values()) > 0


def edition_lines(settings: Settings, store: Store, day: date, now: datetime) -> list[EditionLine]:
    """The editions of ``day`` with their send time, review state and delivery counts."""
    editions = editions_for_date(store, settings.newsletter.name, day)
    approved = approvals(store, [e.id for e in editions if e.id is not None])
    review = review_on(settings)
    at = first_send_time(settings, day)
    lines = []
    for ed in editions:
        assert ed.id is not None
        approval = approved.get(ed.id)
        warning = ""
        if now >= at:
            decision = send_decision(
                review=settings.schedule.review,
                unapproved=settings.schedule.unapproved,
                approved=approval is not None,
            )
            warning = "" if decision is SendDecision.SEND else decision.value
        lines.append(EditionLine(ed, at, approval, review, delivery_admin.counts(store, [ed.id]), warning))
    return lines


def _overview(settings: Settings, store: Store, now: datetime) -> dict[str, Any]:
    day = edition_date_for(now, settings.schedule.timezone)
    feeds = list_feeds(store, active_only=False)
    polled = [f.last_polled_at for f in feeds if f.last_polled_at is not None]
    confirmations, unsubscribes = console_store.subscriber_activity(store, since=now - timedelta(days=7))
    return {
        "day": day,
        "lines": edition_lines(settings, store, day, now),
        "runs": schedule_runs.recent_runs(store, limit=5),
        "backlog": schedule_runs.backlog(store, now=now),
        "feeds": len(feeds),
        "feed_errors": sum(1 for f in feeds if f.last_error),
        "last_poll": max(polled) if polled else None,
        "statuses": console_store.status_counts(store),
        "confirmations": confirmations,
        "unsubscribes": unsubscribes,
    }


@page
async def dashboard(request: Request, who: Principal) -> Response:
    """The dashboard."""
    ctx = context_of(request)
    data = await ctx.db(_overview, ctx.settings, ctx.store, ctx.now())
    return render(request, "dashboard.html", who, **data)
