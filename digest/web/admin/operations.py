"""/admin/deliveries, /admin/feeds, /admin/articles and /admin/audit.

Delivery counts update live: the page polls ``/admin/deliveries/counts`` (JSON) every
two seconds with a few lines of vanilla JS, and reads fine without it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from digest.admins import Role
from digest.errors import DigestError
from digest.store import archive as archive_store
from digest.store import audit, delivery_admin
from digest.store import listings as console_store
from digest.store.feeds import list_feeds, page_outcomes, remove_feed
from digest.timing import edition_date_for, local_instant, zone
from digest.web.admin.core import Principal, action, gettext, page, redirect, render, text
from digest.web.admin.feed_lists import outcome_labels
from digest.web.admin.subscribers import _offset
from digest.web.context import context_of

SUPPRESSIONS_PAGE = 50


@page
async def deliveries(request: Request, who: Principal) -> Response:
    """GET /admin/deliveries: counts per recent edition, failures, the suppression list (?address=)."""
    ctx = context_of(request)
    editions = await ctx.db(archive_store.recent_editions, ctx.store, limit=10)
    counts = {e.id: await ctx.db(delivery_admin.counts, ctx.store, [e.id]) for e in editions if e.id}
    failures = await ctx.db(console_store.failures, ctx.store, limit=100)
    address = request.query_params.get("address", "").strip()[:320]
    offset = _offset(request)
    suppressed, total = await ctx.db(
        console_store.suppressions, ctx.store, address=address, limit=SUPPRESSIONS_PAGE, offset=offset
    )
    base = "?" + urlencode({"address": address} if address else {})
    return render(
        request,
        "deliveries.html",
        who,
        editions=editions,
        counts=counts,
        failures=failures,
        suppressed=suppressed,
        total=total,
        offset=offset,
        limit=SUPPRESSIONS_PAGE,
        address=address,
        base=base,
    )


@page
async def delivery_counts(request: Request, who: Principal) -> Response:
    """GET /admin/deliveries/counts?ids=1,2: each edition's delivery counts by state (JSON)."""
    ctx = context_of(request)
    ids = [int(x) for x in request.query_params.get("ids", "").split(",") if x.strip().isdigit()][:50]
    counts = {str(i): await ctx.db(delivery_admin.counts, ctx.store, [i]) for i in ids}
    return JSONResponse(counts, headers={"Cache-Control": "no-store"})


async def _reopen(request: Request, who: Principal, name: str, fn: Callable[..., int]) -> Response:
    ctx = context_of(request)
    edition_id = int(request.path_params["edition_id"])
    n = await ctx.db(fn, ctx.store, [edition_id], now=ctx.now())
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action=f"delivery.{name}",
        target=f"edition:{edition_id}",
        details={"rows": n},
        now=ctx.now(),
    )
    return redirect(request, "/admin/deliveries", gettext(request, "%(n)s deliveries due again.", n=n))


@action(Role.EDITOR)
async def retry_failed(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/deliveries/{edition_id}/retry-failed."""
    return await _reopen(request, who, "retry_failed", delivery_admin.retry_failed)


@action(Role.EDITOR)
async def release_held(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/deliveries/{edition_id}/release-held."""
    return await _reopen(request, who, "release_held", delivery_admin.release_held)


@action(Role.EDITOR)
async def remove_suppression(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/suppressions/{suppression_id}/remove."""
    ctx = context_of(request)
    removed = await ctx.db(console_store.remove_suppression, ctx.store, int(request.path_params["suppression_id"]))
    if removed is None:
        return redirect(request, "/admin/deliveries", gettext(request, "No such entry."), kind="error")
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action="suppression.remove",
        target=f"suppression:{removed.email_hash[:16]}",
        details={"reason": removed.reason},
        now=ctx.now(),
    )
    return redirect(request, "/admin/deliveries", gettext(request, "Removed from the suppression list."))


@page
async def feeds(request: Request, who: Principal) -> Response:
    """GET /admin/feeds: each feed's last poll and its result or error."""
    ctx = context_of(request)
    rows = await ctx.db(list_feeds, ctx.store, active_only=False)
    pages = await ctx.db(page_outcomes, ctx.store)
    labels = outcome_labels(request)
    return render(request, "feeds.html", who, feeds=rows, pages=pages, outcome_labels=labels, report=None)


@action(Role.EDITOR)
async def add_feed(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/feeds/add: ``url``, ``category``, ``language``."""
    from digest.ingest import register_feed

    ctx = context_of(request)
    url = text(form, "url", 2048).strip()
    try:
        feed, created = await ctx.db(
            register_feed,
            ctx.store,
            ctx.settings,
            url,
            now=ctx.now(),
            category=text(form, "category", 100).strip() or None,
            language=text(form, "language", 10).strip() or None,
            full_text=text(form, "full_text", 10).strip() or None,
        )
    except DigestError as exc:
        return redirect(request, "/admin/feeds", str(exc), kind="error")
    await ctx.db(audit.record, ctx.store, actor=who.email, action="feed.add", target=feed.url[:200], now=ctx.now())
    return redirect(
        request, "/admin/feeds", gettext(request, "Feed added.") if created else gettext(request, "Feed updated.")
    )


@action(Role.EDITOR)
async def delete_feed(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/feeds/remove: ``url``."""
    ctx = context_of(request)
    url = text(form, "url", 2048)
    try:
        await ctx.db(remove_feed, ctx.store, url)
    except DigestError as exc:
        return redirect(request, "/admin/feeds", str(exc), kind="error")
    await ctx.db(audit.record, ctx.store, actor=who.email, action="feed.remove", target=url[:200], now=ctx.now())
    return redirect(request, "/admin/feeds", gettext(request, "Feed removed."))


@action(Role.EDITOR)
async def poll_now(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/feeds/poll: poll every feed once, now."""
    from digest.ingest import poll_feeds

    ctx = context_of(request)
    report = await ctx.db(poll_feeds, ctx.store, ctx.settings, now=ctx.now())
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action="feed.poll",
        details={"feeds": len(report.feeds)},
        now=ctx.now(),
    )
    return redirect(request, "/admin/feeds", gettext(request, "%(n)s feeds polled.", n=len(report.feeds)))


@page
async def articles(request: Request, who: Principal) -> Response:
    """GET /admin/articles?date=YYYY-MM-DD&q=: the articles published that local day."""
    from datetime import date as date_cls

    ctx = context_of(request)
    tz = zone(ctx.settings.schedule.timezone)
    try:
        day = date_cls.fromisoformat(request.query_params.get("date", ""))
    except ValueError:
        day = edition_date_for(ctx.now(), ctx.settings.schedule.timezone)
    start = local_instant(day, datetime.min.time(), tz)
    end = local_instant(day + timedelta(days=1), datetime.min.time(), tz)
    q = request.query_params.get("q", "").strip()[:200]
    rows = await ctx.db(console_store.articles_between, ctx.store, start, end, text=q)
    return render(
        request,
        "articles.html",
        who,
        day=day,
        q=q,
        articles=rows,
        previous=(day - timedelta(days=1)).isoformat(),
        next=(day + timedelta(days=1)).isoformat(),
    )


@page
async def audit_page(request: Request, who: Principal) -> Response:
    """GET /admin/audit?q=: who did what and when, newest first."""
    ctx = context_of(request)
    q = request.query_params.get("q", "").strip()[:200]
    offset = _offset(request)
    entries = await ctx.db(audit.recent, ctx.store, text=q or None, limit=50, offset=offset)
    total = await ctx.db(audit.count, ctx.store, text=q or None)
    base = "?" + urlencode({"q": q} if q else {})
    return render(request, "audit.html", who, entries=entries, total=total, offset=offset, limit=50, q=q, base=base)
