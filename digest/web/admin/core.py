"""What every console page shares: the session, roles, CSRF, flash messages, the
language and the templates.

A session is a row on the server (:mod:`digest.actions.sessions`); the cookie carries
only its random token, new at each sign-in. It ends after ``[web] admin_session_hours``
without a request, ``admin_session_max_hours`` after sign-in, at sign-out, and at once
when the admin's password or role changes or the account is removed. Handlers are
wrapped by :func:`page` (GET) or :func:`action` (POST): without a session both answer
303 to /admin/login and show nothing; an action also needs the form's CSRF token (403)
and a role that allows it (403).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from digest import i18n
from digest.actions import Actor, Door, sessions
from digest.admins import Role
from digest.i18n import N_
from digest.mail import jinja
from digest.web import csrf as csrf_mod
from digest.web.context import WebContext, context_of
from digest.web.pages import negotiate
from digest.web.subscribe import client_ip

SESSION_COOKIE = "digest_admin"
FLASH_COOKIE = "digest_admin_flash"
LANG_COOKIE = "digest_admin_lang"

#: Values the templates show through ``_()`` (statuses, delivery states, roles, story
#: kinds): marked for the catalogue, which tests/test_render_i18n.py checks.
VALUE_LABELS = (
    *(N_("pending"), N_("confirmed"), N_("unsubscribed"), N_("bounced"), N_("forgotten")),
    *(N_("built"), N_("sending"), N_("sent"), N_("skipped"), N_("retry"), N_("failed"), N_("held")),
    *(N_("owner"), N_("editor"), N_("viewer"), N_("top"), N_("brief"), N_("finally")),
    *(N_("queued"), N_("running"), N_("done")),  # import jobs (and "failed" above)
)

# The console runs its own small script and frames its own email previews; nothing else.
ADMIN_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class Principal:
    """Who is acting: an admin's address (or "api" for the bearer token) and role, and
    the token of the session they act in ("" outside one)."""

    email: str
    role: Role
    token: str = ""

    @property
    def actor(self) -> Actor:
        """This admin as the action layer's actor, acting through the console."""
        return Actor(self.email, self.role, Door.CONSOLE)


@dataclass
class Console:
    """The console's shared state (``request.app.state.console``)."""

    signer: URLSafeSerializer
    environments: dict[str, Environment]

    @classmethod
    def create(cls, secret: str) -> Console:
        """A console signing its flash messages with ``secret``."""
        return cls(URLSafeSerializer(secret, salt="digest.admin.session"), {})

    def environment(self, language: str, local: Callable[[datetime | None], str]) -> Environment:
        """The one Jinja2 environment of ``language`` (digest.mail.jinja), overlaid
        with the console's filters (the shared one is left alone): ``local`` (a time in
        the newsletter's timezone) and ``label`` (a status, state or role value in
        ``language``, see :data:`VALUE_LABELS`)."""
        env = self.environments.get(language)
        if env is None:
            env = jinja.environment(language).overlay()
            env.filters = {**env.filters, "local": local, "label": functools.partial(i18n.gettext, language)}
            self.environments[language] = env
        return env


def console_of(request: Request) -> Console:
    """The Console of the app serving ``request``."""
    console: Console = request.app.state.console
    return console


def root(request: Request) -> str:
    """The app's mount prefix ("" at the site root)."""
    prefix: str = request.scope.get("root_path", "")
    return prefix.rstrip("/")


def language_of(ctx: WebContext, request: Request) -> str:
    """?lang=, else the console cookie, else the browser's preference, else the newsletter's."""
    default: str = ctx.settings.newsletter.language
    browser = negotiate(request.headers.get("accept-language"), default)
    return i18n.language_for(
        request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), browser, default=default
    )


def client_of(request: Request) -> sessions.Client:
    """The client's address (:func:`digest.web.subscribe.client_ip`) and User-Agent."""
    return sessions.Client(client_ip(request), request.headers.get("user-agent", "")[:500])


async def current_admin(request: Request) -> Principal | None:
    """The signed-in admin, or None (no cookie, or a session unknown, ended, idle too
    long or too old)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    ctx = context_of(request)
    found = await ctx.db(sessions.current, ctx.operations(), token)
    if found is None:
        return None
    return Principal(found.admin.email, found.admin.role, found.token)


def start_session(request: Request, response: Response, token: str) -> None:
    """Set the session cookie (the new session's token) on ``response``."""
    ctx = context_of(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
        path=f"{root(request)}/admin",
    )


def end_session(request: Request, response: Response) -> None:
    """Delete the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path=f"{root(request)}/admin")


def flash(request: Request, response: Response, message: str, *, kind: str = "ok") -> None:
    """A message shown once, on the next page (post/redirect/get)."""
    value = console_of(request).signer.dumps([kind, message])
    response.set_cookie(
        FLASH_COOKIE,
        value,
        httponly=True,
        samesite="strict",
        path=f"{root(request)}/admin",
        secure=context_of(request).secure_cookies,
    )


def _pop_flash(request: Request) -> tuple[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, message = console_of(request).signer.loads(raw)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(kind), str(message)


def redirect(request: Request, path: str, message: str | None = None, *, kind: str = "ok") -> Response:
    """303 to ``path`` (under the app root), with an optional flash message."""
    response = RedirectResponse(f"{root(request)}{path}", status_code=303)
    if message:
        flash(request, response, message, kind=kind)
    return response


def upload_limit_kb(request: Request) -> int:
    """The largest file the console takes, in KiB (``[web] max_upload_kb``)."""
    kb: int = context_of(request).settings.web.max_upload_kb
    return kb


def size_text(request: Request, kb: int) -> str:
    """``kb`` KiB for a person, in the console's language: "20 MB", "512 KB"."""
    if kb >= 1024 and kb % 1024 == 0:
        return gettext(request, "%(n)s MB", n=kb // 1024)
    return gettext(request, "%(n)s KB", n=kb)


async def uploaded_file(
    request: Request,
    form: FormData,
    *,
    back: str,
    missing: str,
    fail: Callable[[str, int], Response] | None = None,
) -> tuple[bytes, str] | Response:
    """The ``file`` field's bytes and name, read up to ``[web] max_upload_kb``; else
    ``fail(message, status)`` (400 no file, 413 over the cap) when given, or a redirect
    to ``back`` with the message."""
    limit = upload_limit_kb(request) * 1024
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return fail(missing, 400) if fail else redirect(request, back, missing, kind="error")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        message = gettext(request, "The file is larger than %(size)s.", size=size_text(request, limit // 1024))
        return fail(message, 413) if fail else redirect(request, back, message, kind="error")
    return data, upload.filename or ""


def gettext(request: Request, message: str, **values: Any) -> str:
    """``message`` in the console's language for this request (for flash messages)."""
    return i18n.gettext(language_of(context_of(request), request), message, **values)


def day_of(request: Request) -> date | None:
    """The ``{day}`` path parameter as a date; None when it is not one."""
    try:
        return date.fromisoformat(request.path_params["day"])
    except ValueError:
        return None


def ngettext(request: Request, singular: str, plural: str, n: int, **values: Any) -> str:
    """The singular or plural form for ``n`` in the console's language (``num`` is
    ``n``), by the catalogue's plural rule (French: 0 and 1 are singular)."""
    return i18n.ngettext(language_of(context_of(request), request), singular, plural, n, **values)


def local_time(ctx: WebContext, language: str) -> Callable[[datetime | None], str]:
    """A template filter: a UTC time in the newsletter's timezone, with its offset,
    as ``language`` writes it ("2026-11-30 07:00 UTC+01:00", :func:`digest.i18n.zoned_time`)."""
    zone: str = ctx.settings.schedule.timezone

    def fmt(value: datetime | None) -> str:
        return "" if value is None else i18n.zoned_time(value, zone, language)

    return fmt


def render(
    request: Request,
    template: str,
    who: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A console page: no caching, the console's CSP, a CSRF token, the flash message."""
    ctx, console = context_of(request), console_of(request)
    language = language_of(ctx, request)
    nonce = request.cookies.get(csrf_mod.COOKIE)
    fresh = not nonce
    if not nonce:
        nonce = ctx.csrf.new_nonce()
    message = _pop_flash(request)
    env = console.environment(language, local_time(ctx, language))
    html = env.get_template(f"web/admin/{template}").render(
        lang=language,
        other_lang=i18n.other_language(language, default=ctx.settings.newsletter.language),
        newsletter=ctx.newsletter,
        root=root(request),
        path=request.url.path,
        query=request.url.query,
        who=who,
        can_edit=who is not None and who.role.allows(Role.EDITOR),
        csrf_token=ctx.csrf.form_token(nonce, now=ctx.now().timestamp()),
        flash=message,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = ADMIN_CSP
    if request.query_params.get("lang") in i18n.languages():
        response.set_cookie(
            LANG_COOKIE,
            language,
            samesite="strict",
            path=f"{root(request)}/admin",
            secure=ctx.secure_cookies,
            httponly=True,
        )
    if message is not None:
        response.delete_cookie(FLASH_COOKIE, path=f"{root(request)}/admin")
    if fresh:
        response.set_cookie(csrf_mod.COOKIE, nonce, httponly=True, samesite="lax", secure=ctx.secure_cookies, path="/")
    return response


def refused(request: Request, who: Principal | None, status_code: int, message: str) -> HTMLResponse:
    """A 403 (or other) page saying why."""
    return render(request, "refused.html", who, status_code=status_code, reason=message)


def login_redirect(request: Request) -> Response:
    """303 to the sign-in page, remembering where the admin was going (no data shown)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{root(request)}/admin/login?next={quote(target, safe='')}", status_code=303)


PageHandler = Callable[[Request, Principal], Awaitable[Response]]
ActionHandler = Callable[[Request, Principal, FormData], Awaitable[Response]]
Handler = Callable[[Request], Awaitable[Response]]


def page(handler: PageHandler) -> Handler:
    """A GET page for any signed-in admin; 303 to the sign-in page otherwise."""

    async def wrapped(request: Request) -> Response:
        who = await current_admin(request)
        if who is None:
            return login_redirect(request)
        return await handler(request, who)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def action(role: Role) -> Callable[[ActionHandler], Handler]:
    """A POST that changes something: a session, the CSRF token and ``role`` needed."""

    def decorate(handler: ActionHandler) -> Handler:
        async def wrapped(request: Request) -> Response:
            who = await current_admin(request)
            if who is None:
                return login_redirect(request)
            ctx = context_of(request)
            async with request.form(max_files=1, max_fields=200, max_part_size=1024 * 1024) as form:
                token = form.get(csrf_mod.FIELD)
                if not await ctx.csrf_ok(request, {csrf_mod.FIELD: token if isinstance(token, str) else None}):
                    return refused(request, who, 403, gettext(request, "The form had expired. Go back and try again."))
                if not who.role.allows(role):
                    return refused(request, who, 403, gettext(request, "Your role does not allow this change."))
                return await handler(request, who, form)

        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    return decorate


def text(form: FormData | Mapping[str, Any], key: str, limit: int = 10_000) -> str:
    """A text field of ``form`` ("" when absent or a file)."""
    value = form.get(key)
    return value[:limit] if isinstance(value, str) else ""
