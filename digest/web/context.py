"""What every request handler of the web app shares: settings, store, signed links,
CSRF, rate limits, the mailer, the clock and the page templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from digest import i18n
from digest.actions import Operations, Store
from digest.config import Settings
from digest.links import Links
from digest.mail.jinja import environment
from digest.text import names
from digest.tokens import Tokens
from digest.web import csrf as csrf_mod
from digest.web.csrf import Csrf
from digest.web.ratelimit import RequestLimiter

#: templates/web: the pages (rendered by digest.mail.jinja as "web/<name>") and static files.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"

#: X-Robots-Tag (and meta robots) of every page reached by a personal link.
NOINDEX = "noindex, nofollow"

P = ParamSpec("P")
R = TypeVar("R")


class Mailer(Protocol):
    """What the web app needs to send a one-off mail (confirmation, a fresh link)."""

    async def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its To address; DeliveryError when it was not accepted."""
        ...


class ProofSender(Protocol):
    """Sends a test copy ("proof") of an edition to the given addresses. The delivery
    code provides it; the admin API only triggers it. Returns, per address, "sent" or
    the reason it was not."""

    async def __call__(self, edition_id: int, addresses: Sequence[str]) -> Mapping[str, str]: ...


class EditionPage(Protocol):
    """The stored edition as one subscriber got it, as a full HTML page, or None when it
    cannot be rendered (the renderer provides it; the archive falls back to a listing)."""

    def __call__(self, edition_id: int, subscriber_id: int) -> str | None: ...


@dataclass
class WebContext:
    """The app's shared state (``request.app.state.web``)."""

    settings: Settings
    store: Store
    links: Links
    tokens: Tokens
    csrf: Csrf
    mailer: Mailer
    now: Callable[[], datetime]
    subscribe_limiter: RequestLimiter
    admin_token: str | None
    proof_sender: ProofSender | None
    edition_page: EditionPage | None
    secure_cookies: bool

    @property
    def newsletter(self) -> str:
        """The newsletter's name."""
        name: str = self.settings.newsletter.name
        return name

    def name_phrases(self, language: str) -> dict[str, str]:
        """The name with its preposition in ``language`` ("au Brief", "du Brief"), as the
        catalogue's ``to_newsletter``/``from_newsletter``/``of_newsletter`` placeholders."""
        return names.phrases(self.newsletter, language, self.settings.newsletter.name_article)

    def operations(self) -> Operations:
        """What the action layer works with: these settings, this store and this clock."""
        return Operations(self.settings, self.store, self.now)

    async def db(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a (blocking) store call in the thread pool, off the event loop."""
        return await run_in_threadpool(fn, *args, **kwargs)

    def render(
        self,
        request: Request,
        template: str,
        *,
        language: str,
        status_code: int = 200,
        private: bool = True,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """A page in ``language``, with a CSRF token for its forms (the cookie is set
        when the browser has none yet)."""
        nonce = request.cookies.get(csrf_mod.COOKIE)
        fresh = not nonce
        if not nonce:
            nonce = Csrf.new_nonce()
        default: str = self.settings.newsletter.language
        html = (
            environment(language)
            .get_template(f"web/{template}")
            .render(
                lang=language,
                newsletter=self.newsletter,
                postal_address=self.settings.newsletter.postal_address,
                root=request.scope.get("root_path", "").rstrip("/"),
                private=private,
                csrf_token=self.csrf.form_token(nonce, now=self.now().timestamp()),
                languages=[(code, i18n.language_name(code)) for code in i18n.languages(first=default)],
                public_archive=self.settings.web.public_archive,
                **self.name_phrases(language),
                **context,
            )
        )
        response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
        response.headers["Content-Language"] = language
        if private:  # a page reached by a personal link: not cached, not indexed
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Robots-Tag"] = NOINDEX
        if fresh:
            response.set_cookie(
                csrf_mod.COOKIE,
                nonce,
                httponly=True,
                samesite="lax",
                secure=self.secure_cookies,
                path="/",
            )
        return response

    async def csrf_ok(self, request: Request, form: Mapping[str, Any]) -> bool:
        """Whether a posted form carries a valid CSRF token for this browser."""
        token = form.get(csrf_mod.FIELD)
        return self.csrf.check(
            request.cookies.get(csrf_mod.COOKIE),
            token if isinstance(token, str) else None,
            now=self.now().timestamp(),
        )


def context_of(request: Request) -> WebContext:
    """The WebContext of the app serving ``request``."""
    ctx: WebContext = request.app.state.web
    return ctx
