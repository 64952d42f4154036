"""/admin/editions/{day}/report: the edition report of a date, per language, with small
SVG bar charts drawn on the server (no script), and its CSV download. The figures are
:func:`digest.daily.report.edition_report`'s, the same the API and the CLI show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from digest.daily import report as reports
from digest.errors import NotFoundError
from digest.web.admin.core import Principal, day_of, gettext, page, render
from digest.web.context import context_of

#: Width of the longest bar, in SVG user units (the chart scales to its box).
BAR_WIDTH = 300
#: Height of one bar and the gap below it.
BAR_HEIGHT, BAR_GAP = 18, 6


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, value and drawn width."""

    label: str
    value: int
    width: int
    y: int


def bars(pairs: list[tuple[str, int]]) -> list[Bar]:
    """Bars scaled to the largest value (a value of 0 draws nothing)."""
    top = max((v for _, v in pairs), default=0)
    return [
        Bar(label, value, round(BAR_WIDTH * value / top) if top else 0, i * (BAR_HEIGHT + BAR_GAP))
        for i, (label, value) in enumerate(pairs)
    ]


async def _reports(request: Request) -> tuple[date | None, list[reports.EditionReport]]:
    """The date in the path and its reports (none for a bad or unknown date)."""
    ctx = context_of(request)
    day = day_of(request)
    try:
        found = [] if day is None else await ctx.db(reports.reports_for_date, ctx.store, ctx.settings, day)
    except NotFoundError:
        found = []
    return day, found


@page
async def report_page(request: Request, who: Principal) -> Response:
    """GET /admin/editions/{day}/report: every language's report of that date."""
    day, found = await _reports(request)
    if day is None or not found:
        return render(request, "refused.html", who, status_code=404, reason=gettext(request, "No such date."))
    charts = [
        {
            "report": r,
            "stories": bars([(f"{s.position + 1}. {s.title}", s.clicks) for s in r.stories]),
            "topics": bars([(t.topic or "—", t.clicks) for t in r.topics]),
        }
        for r in found
    ]
    return render(
        request,
        "report.html",
        who,
        day=day,
        charts=charts,
        totals=reports.TOTALS,
        bar_height=BAR_HEIGHT,
        bar_gap=BAR_GAP,
        bar_width=BAR_WIDTH,
    )


@page
async def report_csv(request: Request, who: Principal) -> Response:
    """GET /admin/editions/{day}/report.csv: the same figures as a CSV file."""
    day, found = await _reports(request)
    if day is None or not found:
        return Response("not found\n", status_code=404, media_type="text/plain")
    return Response(
        reports.as_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="report-{day.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
