"""/admin/feeds/import and /admin/feeds/export: feed lists as OPML 2.0 in the console
(the same as ``digest feeds import`` / ``digest feeds export``)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.actions import feeds as feed_actions
from digest.admins import Role
from digest.errors import DigestError
from digest.web.admin.core import Principal, action, gettext, page, redirect, render, uploaded_file
from digest.web.context import context_of


def outcome_labels(request: Request) -> dict[str, str]:
    """The article-page outcomes, as the feeds page names them."""
    return {
        "read": gettext(request, "read"),
        "robots": gettext(request, "robots.txt"),
        "timeout": gettext(request, "timeout"),
        "http_error": gettext(request, "HTTP error"),
        "paywall": gettext(request, "paywall"),
        "error": gettext(request, "error"),
    }


@action(Role.EDITOR)
async def import_opml(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/feeds/import: field ``file`` (OPML); the feeds page with one line per feed."""
    ctx = context_of(request)
    got = await uploaded_file(request, form, back="/admin/feeds", missing=gettext(request, "Choose an OPML file."))
    if isinstance(got, Response):
        return got
    data, name = got[0], got[1] or "feeds.opml"
    ops = ctx.operations()
    try:
        report = await ctx.db(feed_actions.import_list, ops, who.actor, data, name)
    except DigestError as exc:
        return redirect(request, "/admin/feeds", str(exc), kind="error")
    rows = await ctx.db(feed_actions.feeds, ops, active_only=False)
    pages = await ctx.db(feed_actions.page_outcomes, ops)
    return render(
        request, "feeds.html", who, feeds=rows, pages=pages, outcome_labels=outcome_labels(request), report=report
    )


@page
async def export_opml(request: Request, who: Principal) -> Response:
    """GET /admin/feeds/export: the registered feeds as an OPML 2.0 download."""
    ctx = context_of(request)
    document = await ctx.db(feed_actions.export_list, ctx.operations(), who.actor)
    return Response(
        document,
        media_type="text/x-opml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="feeds.opml"', "Cache-Control": "no-store"},
    )
