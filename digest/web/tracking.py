"""The tracked links of an edition: ``GET/HEAD /r/{token}`` (a story link, 302 to the
article) and ``GET/HEAD /o/{token}`` (a variant's 1x1 open image).

Only a URL of the token's own edition is ever a redirect target; a forged or damaged
token gets the archive page of the edition it names (when the public archive is on and
the edition exists), else 404 — never a redirect to a URL it carries. The work is
:class:`digest.daily.tracking.Tracker`'s; this module parses and answers.
"""

from __future__ import annotations

import base64

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest.daily.tracking import Outcome, Tracker
from digest.daily.tracking import Request as Seen
from digest.web.context import context_of
from digest.web.subscribe import client_ip

#: The smallest transparent GIF (1x1), served for every open image.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

#: Redirects are never cached (each click counts) nor indexed.
_NO_STORE = {"Cache-Control": "no-store, private", "X-Robots-Tag": "noindex, nofollow"}


def tracker_of(request: Request) -> Tracker:
    """The app's tracker (built with it in :func:`digest.web.app.create_app`)."""
    tracker: Tracker = request.app.state.tracker
    return tracker


def _seen(request: Request) -> Seen:
    ctx = context_of(request)
    stamp = request.query_params.get("m", "")
    return Seen(
        method=request.method,
        user_agent=request.headers.get("user-agent", "")[:500],
        ip=client_ip(request),
        stamp=stamp[:80],
        at=ctx.now(),
    )


def _answer(request: Request, outcome: Outcome) -> Response:
    if outcome.url is not None:
        return RedirectResponse(outcome.url, status_code=302, headers=_NO_STORE)
    if outcome.archive is not None and context_of(request).settings.web.public_archive:
        root = request.scope.get("root_path", "").rstrip("/")
        day, language = outcome.archive
        return RedirectResponse(f"{root}/archive/{day}/{language}", status_code=302, headers=_NO_STORE)
    raise HTTPException(404)


async def click(request: Request) -> Response:
    """A story link: 302 to the article, the click counted. Answered on the event loop
    when the edition's URLs are in memory and the writer queues the event (the usual
    case), else in the thread pool, where the database may be read."""
    token = request.path_params["token"]
    seen = _seen(request)
    tracker = tracker_of(request)
    outcome = tracker.click_cached(token, seen)
    if outcome is None:
        outcome = await context_of(request).db(tracker.click, token, seen)
    return _answer(request, outcome)


async def open_image(request: Request) -> Response:
    """The 1x1 open image of a variant: always the image, the open counted when valid."""
    token = request.path_params["token"]
    seen = _seen(request)
    tracker = tracker_of(request)
    if tracker.open_cached(token, seen) is None:
        await context_of(request).db(tracker.open, token, seen)
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)
