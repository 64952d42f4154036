"""GET /admin: today's editions, the service's health and the list in numbers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from digest.daily.desk import EditionLine, edition_lines
from digest.daily.overview import overview
from digest.web.admin.core import Principal, page, render
from digest.web.context import context_of

__all__ = ["EditionLine", "dashboard", "edition_lines"]


@page
async def dashboard(request: Request, who: Principal) -> Response:
    """The dashboard."""
    ctx = context_of(request)
    data = await ctx.db(overview, ctx.settings, ctx.store, ctx.now())
    return render(request, "dashboard.html", who, **data)
