"""The web app: subscriber pages, the edition archive and the admin API (Starlette).

``create_app(settings, store)`` builds it; ``digest serve`` runs it with uvicorn (and
puts /healthz and /metrics in front of it, see :mod:`digest.web.ops`). Routes, with the
URLs of :mod:`digest.links`:

- ``GET/POST /subscribe``                  the form; rate-limited per IP
- ``GET/POST /account``                    a preferences link by mail, on request
- ``GET/POST /confirm/{token}``            double opt-in (GET shows a button)
- ``GET/POST /preferences/{token}``        language, topics, send time, timezone
- ``POST /renew/{purpose}/{token}``        an expired confirm/preferences link: mail a fresh one
- ``GET/POST /unsubscribe/{token}``        confirm page; POST unsubscribes (also RFC 8058 one-click)
- ``GET /editions/{id}?t={token}``         "view in browser"
- ``GET/HEAD /r/{token}``, ``/o/{token}``   a tracked story link (302), an open image ([tracking])
- ``GET /archive``, ``/archive/{date}/{language}``, ``/archive/feed.xml``  the public
  archive, when [web] public_archive is on (404 otherwise)
- ``/api/...``                             admin API (bearer token), ``/api/openapi.json``
- ``/admin/...``                           the admin console (signed-in admins, :mod:`digest.web.admin`)
- ``/static/web.css``                      the pages' stylesheet

In front of every route (digest.web.middleware): odd paths get 404, bodies over ``[web]
max_body_kb`` get 413 unread, X-Forwarded-For counts only from ``[web] trusted_proxies``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest.actions import Operations, Store
from digest.actions.imports import fail_interrupted
from digest.actions.subscribers import smtp_mailer
from digest.config import Settings, read_secret
from digest.daily.imports import ImportWorker
from digest.daily.tracking import Tracker
from digest.errors import ConfigError
from digest.logs import register_secret
from digest.subscribers import membership as subs
from digest.web import account, account_request, api, api_desk, api_people, pages, public_archive, subscribe, tracking
from digest.web import admin as admin_console
from digest.web.admin import imports as console_imports
from digest.web.admin.core import Console
from digest.web.archive import edition_page
from digest.web.context import TEMPLATES, EditionPage, Mailer, ProofSender, WebContext, context_of
from digest.web.csrf import Csrf
from digest.web.middleware import BodyLimit, Edges, TrustedProxies
from digest.web.ratelimit import RequestLimiter

# Pages load nothing but their own stylesheet; no scripts at all, no framing, and no
# Referer leaving the site (links carry signed tokens).
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """Adds the security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": PAGE_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
        }
        if hsts:
            self.headers["Strict-Transport-Security"] = "max-age=31536000"
        self._raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw header pairs, not MutableHeaders: this runs on every response,
                # the click redirect's too, and the set test is a fraction of the cost.
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in self._raw if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _home(request: Request) -> Response:
    return RedirectResponse(f"{request.scope.get('root_path', '').rstrip('/')}/subscribe", status_code=307)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Inside the /api Mount, root_path ends with "/api": the app's own root is app_root_path.
    app_root = str(request.scope.get("app_root_path", request.scope.get("root_path", ""))).rstrip("/")
    if request.url.path.startswith(f"{app_root}/api/") or request.url.path == f"{app_root}/api":
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    ctx = context_of(request)
    language = pages.browser_language(ctx, request)
    response = pages.message_page(
        ctx,
        request,
        language,
        *pages.NOT_FOUND,
        status_code=exc.status_code,
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def create_app(
    settings: Settings,
    store: Store,
    *,
    mailer: Mailer | None = None,
    now: Callable[[], datetime] | None = None,
    proof_sender: ProofSender | None = None,
    edition_page_html: EditionPage | None = None,
) -> Starlette:
    """The web app over ``store``.

    ``mailer`` sends the confirmation mails (default: the one mail path, [smtp] and [dkim]);
    ``now`` is the clock (tokens, consent dates, rate limits); ``proof_sender`` backs
    the API's test send (501 without it); ``edition_page_html`` renders the archive
    page as the subscriber's email (a plain listing without it).
    ConfigError when the link signing key is not set.
    """
    links = subs.signed_links(settings)
    secret = read_secret(settings, "web", "secret_key") or ""
    admin_token = read_secret(settings, "web", "admin_token")
    register_secret(secret)
    register_secret(admin_token)
    per_minute: int = settings.web.subscribe_per_minute
    if per_minute < 1:
        raise ConfigError("[web] subscribe_per_minute: must be at least 1")
    secure = str(settings.newsletter.base_url).startswith("https://")
    clock = now if now is not None else (lambda: datetime.now(UTC))
    context = WebContext(
        settings=settings,
        store=store,
        links=links,
        tokens=links.tokens,
        csrf=Csrf(secret),
        mailer=mailer if mailer is not None else smtp_mailer(Operations(settings, store, clock)),
        now=clock,
        subscribe_limiter=RequestLimiter(per_minute, 60.0),
        admin_token=admin_token or None,
        proof_sender=proof_sender,
        edition_page=edition_page_html,
        secure_cookies=secure,
    )
    routes = [
        # First: the click redirect is the busiest path, and routes are tried in order.
        Route("/r/{token}", tracking.click, methods=["GET", "HEAD"]),
        Route("/o/{token}", tracking.open_image, methods=["GET", "HEAD"]),
        Route("/", _home, methods=["GET"]),
        Route("/subscribe", subscribe.subscribe_form, methods=["GET"]),
        Route("/subscribe", subscribe.subscribe, methods=["POST"]),
        Route("/account", account_request.account_page, methods=["GET"]),
        Route("/account", account_request.request_link, methods=["POST"]),
        Route("/confirm/{token}", account.confirm_page, methods=["GET"]),
        Route("/confirm/{token}", account.confirm, methods=["POST"]),
        Route("/renew/{purpose}/{token}", account.renew, methods=["POST"]),
        Route("/preferences/{token}", account.preferences_page, methods=["GET"]),
        Route("/preferences/{token}", account.save_preferences, methods=["POST"]),
        Route("/unsubscribe/{token}", account.unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", account.unsubscribe, methods=["POST"]),
        Route("/editions/{edition_id:int}", edition_page, methods=["GET"]),
        Mount("/api", routes=[*api.routes, *api_desk.routes, *api_people.routes]),
        *admin_console.routes,
        Route("/archive", public_archive.archive_index, methods=["GET"]),
        Route("/archive/feed.xml", public_archive.archive_feed, methods=["GET"]),
        Route("/archive/{date}/{language}", public_archive.archive_edition, methods=["GET"]),
        Mount("/static", StaticFiles(directory=TEMPLATES / "static"), name="static"),
    ]
    web = settings.web
    worker = ImportWorker()
    tracker = Tracker(settings, store, links.tokens)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Jobs a previous process left unfinished are marked failed; ours are waited for.
        # The click writer lives as long as the server: started here, and stopped at
        # shutdown, which writes the events still queued.
        await run_in_threadpool(fail_interrupted, context.operations())
        tracker.writer.start()
        try:
            yield
        finally:
            try:
                await run_in_threadpool(worker.shutdown)
            finally:
                await run_in_threadpool(tracker.writer.stop)

    upload = web.max_upload_kb * 1024
    caps = {api.IMPORT_PATH: upload, console_imports.PATH: upload + console_imports.FORM_OVERHEAD}
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders, hsts=secure),
            Middleware(Edges),
            Middleware(TrustedProxies, trusted=web.trusted_proxies),
            Middleware(
                BodyLimit, max_bytes=web.max_body_kb * 1024, larger=caps, pages={"/admin": console_imports.too_large}
            ),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    # No "/api" -> "/api/" redirects: Starlette builds them from the Host header, which
    # the client chose. Every route is exact anyway.
    app.router.redirect_slashes = False
    app.state.web = context
    app.state.tracker = tracker
    app.state.console = Console.create(secret)
    app.state.imports = worker
    return app
