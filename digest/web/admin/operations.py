"""/admin/deliveries, /admin/feeds, /admin/articles and /admin/audit.

Delivery counts update live: the page polls ``/admin/deliveries/counts`` (JSON) every
two seconds with a few lines of vanilla JS, and reads fine without it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from digest.actions import articles as article_actions
from digest.actions import audit_log, suppressions
from digest.actions import deliveries as fixes
from digest.actions import editions as desk
from digest.actions import feeds as feed_actions
from digest.admins import Role
from digest.errors import DigestError
from digest.timing import edition_date_for, local_instant, zone
from digest.web.admin.core import Principal, action, gettext, ngettext, page, redirect, render, text
from digest.web.admin.feed_lists import outcome_labels
from digest.web.admin.subscribers import _offset
from digest.web.context import context_of

SUPPRESSIONS_PAGE = 50


@page
async def deliveries(request: Request, who: Principal) -> Response:
    """GET /admin/deliveries: counts per recent edition, failures, the suppression list (?address=)."""
    ctx = context_of(request)
    ops = ctx.operations()
    editions = await ctx.db(desk.recent, ops, limit=10)
    counts = await ctx.db(fixes.counts_by_edition, ops, [e.id for e in editions if e.id])
    failures = await ctx.db(fixes.failures, ops, limit=100)
    address = request.query_params.get("address", "").strip()[:320]
    offset = _offset(request)
    suppressed, total = await ctx.db(
        suppressions.suppressions, ctx.operations(), address=address, limit=SUPPRESSIONS_PAGE, offset=offset
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
    ops = ctx.operations()
    ids = [int(x) for x in request.query_params.get("ids", "").split(",") if x.strip().isdigit()][:50]
    counts = {str(i): n for i, n in (await ctx.db(fixes.counts_by_edition, ops, ids)).items()}
    return JSONResponse(counts, headers={"Cache-Control": "no-store"})


def _reopened(request: Request, done: fixes.Reopened) -> str:
    said = ngettext(request, "%(num)d delivery due again.", "%(num)d deliveries due again.", done.count)
    if done.left:
        said += " " + gettext(request, "Not retried (subscriber no longer confirmed): %(why)s.", why=done.why_not())
    return said


@action(Role.EDITOR)
async def retry_failed(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/deliveries/{edition_id}/retry-failed."""
    ctx = context_of(request)
    done = await ctx.db(fixes.retry_failed, ctx.operations(), who.actor, int(request.path_params["edition_id"]))
    return redirect(request, "/admin/deliveries", _reopened(request, done))


@action(Role.EDITOR)
async def release_held(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/deliveries/{edition_id}/release-held."""
    ctx = context_of(request)
    done = await ctx.db(fixes.release_held, ctx.operations(), who.actor, int(request.path_params["edition_id"]))
    return redirect(request, "/admin/deliveries", _reopened(request, done))


@action(Role.EDITOR)
async def remove_suppression(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/suppressions/{suppression_id}/remove."""
    ctx = context_of(request)
    entry_id = int(request.path_params["suppression_id"])
    try:
        await ctx.db(suppressions.remove_suppression, ctx.operations(), who.actor, suppression_id=entry_id)
    except DigestError:
        return redirect(request, "/admin/deliveries", gettext(request, "No such entry."), kind="error")
    return redirect(request, "/admin/deliveries", gettext(request, "Removed from the suppression list."))


@action(Role.EDITOR)
async def add_suppression(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/suppressions/add: ``address`` (and an optional ``detail``) suppressed by hand."""
    ctx = context_of(request)
    try:
        await ctx.db(
            suppressions.suppress, ctx.operations(), who.actor, text(form, "address", 320),
            detail=text(form, "detail", 500),
        )  # fmt: skip
    except DigestError as exc:
        return redirect(request, "/admin/deliveries#suppressions", str(exc), kind="error")
    return redirect(request, "/admin/deliveries#suppressions", gettext(request, "Added to the suppression list."))


@page
async def feeds(request: Request, who: Principal) -> Response:
    """GET /admin/feeds: each feed's last poll and its result or error."""
    ctx = context_of(request)
    ops = ctx.operations()
    rows = await ctx.db(feed_actions.feeds, ops, active_only=False)
    pages = await ctx.db(feed_actions.page_outcomes, ops)
    labels = outcome_labels(request)
    return render(request, "feeds.html", who, feeds=rows, pages=pages, outcome_labels=labels, report=None)


@action(Role.EDITOR)
async def add_feed(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/feeds/add: ``url``, ``category``, ``language``."""
    ctx = context_of(request)
    try:
        _feed, created = await ctx.db(
            feed_actions.add,
            ctx.operations(),
            who.actor,
            text(form, "url", 2048).strip(),
            category=text(form, "category", 100).strip() or None,
            language=text(form, "language", 10).strip() or None,
            full_text=text(form, "full_text", 10).strip() or None,
        )
    except DigestError as exc:
        return redirect(request, "/admin/feeds", str(exc), kind="error")
    return redirect(
        request, "/admin/feeds", gettext(request, "Feed added.") if created else gettext(request, "Feed updated.")
    )


@action(Role.EDITOR)
async def delete_feed(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/feeds/remove: ``url``."""
    ctx = context_of(request)
    try:
        await ctx.db(feed_actions.remove, ctx.operations(), who.actor, text(form, "url", 2048))
    except DigestError as exc:
        return redirect(request, "/admin/feeds", str(exc), kind="error")
    return redirect(request, "/admin/feeds", gettext(request, "Feed removed."))


@action(Role.EDITOR)
async def poll_now(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/feeds/poll: poll every feed once, now."""
    ctx = context_of(request)
    report = await ctx.db(feed_actions.poll, ctx.operations(), who.actor)
    return redirect(
        request, "/admin/feeds", ngettext(request, "%(num)d feed polled.", "%(num)d feeds polled.", len(report.feeds))
    )


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
    rows = await ctx.db(article_actions.between, ctx.operations(), start, end, text=q)
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
    ops = ctx.operations()
    entries = await ctx.db(audit_log.recent, ops, text=q or None, limit=50, offset=offset)
    total = await ctx.db(audit_log.count, ops, text=q or None)
    base = "?" + urlencode({"q": q} if q else {})
    entries = [audit_log.shown_to(who.role, e) for e in entries]
    return render(request, "audit.html", who, entries=entries, total=total, offset=offset, limit=50, q=q, base=base)
