"""Signing in and out of the console.

The throttle and the sessions are :mod:`digest.actions.sessions`'s: a client that
failed too often for an address, or too often at all, gets 429 with ``Retry-After``;
a client that has not failed is never refused. A wrong address and a wrong password
take the same time and get the same message. Every sign-in, failure and sign-out is
audited with the client's address and user agent.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from digest.actions import sessions
from digest.logs import mask_email
from digest.web.admin.core import (
    Principal,
    action,
    client_of,
    current_admin,
    end_session,
    gettext,
    ngettext,
    redirect,
    refused,
    render,
    root,
    start_session,
    text,
)
from digest.web.context import context_of

log = logging.getLogger(__name__)


def _next(request: Request, raw: str) -> str:
    # Only a path inside the console: never another site (open redirect).
    prefix = f"{root(request)}/admin"
    if raw.startswith(prefix) and not raw.startswith("//"):
        return raw[len(root(request)) :]
    return "/admin"


async def login_form(request: Request) -> Response:
    """GET /admin/login: the form (also to a signed-in admin, to switch accounts)."""
    return render(request, "login.html", None, email="", error="", next=request.query_params.get("next", ""))


def _login_again(request: Request, status_code: int, email: str, error: str, next_path: str = "") -> Response:
    """The sign-in form again, with the address typed and what went wrong."""
    return render(request, "login.html", None, status_code=status_code, email=email, next=next_path, error=error)


async def login(request: Request) -> Response:
    """POST /admin/login: CSRF, the throttle, then the password; a new session (a new
    token: any session the browser had ends)."""
    ctx = context_of(request)
    form = await request.form(max_files=0, max_fields=10)
    email = text(form, "email", 320).strip()
    if not await ctx.csrf_ok(request, {"csrf_token": text(form, "csrf_token")}):
        return _login_again(request, 403, email, gettext(request, "The form had expired. Try again."))
    client = client_of(request)
    verdict = await ctx.db(sessions.sign_in, ctx.operations(), email, text(form, "password", 1024), client)
    if verdict.retry_after:
        log.warning("admin sign-in refused: too many failures", extra={"to": mask_email(email)})
        wait = (
            gettext(request, "Too many failed attempts. Wait 15 minutes and try again.")
            if verdict.retry_after >= sessions.WINDOW.total_seconds()
            else ngettext(
                request,
                "Too many failed attempts. Try again in %(num)d second.",
                "Too many failed attempts. Try again in %(num)d seconds.",
                verdict.retry_after,
            )
        )
        response = _login_again(request, 429, email, wait)
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    if verdict.admin is None:
        log.info("admin sign-in failed", extra={"to": mask_email(email)})
        wrong = gettext(request, "The email address or the password is wrong.")
        return _login_again(request, 400, email, wrong, text(form, "next", 500))
    old = request.cookies.get("digest_admin", "")
    if old:  # the browser's previous session, if any, ends: one token per sign-in
        await ctx.db(sessions.end_token, ctx.operations(), old)
    done = redirect(request, _next(request, text(form, "next", 500)))
    start_session(request, done, verdict.token)
    log.info("admin signed in", extra={"to": mask_email(verdict.admin.email)})
    return done


async def logout(request: Request) -> Response:
    """POST /admin/logout: ends the session at once (403 without the form's CSRF token)."""
    ctx = context_of(request)
    form = await request.form(max_files=0, max_fields=10)
    who = await current_admin(request)
    if not await ctx.csrf_ok(request, {"csrf_token": text(form, "csrf_token")}):
        return refused(request, who, 403, gettext(request, "The form had expired. Go back and try again."))
    if who is not None:
        await ctx.db(sessions.sign_out, ctx.operations(), who.actor, who.token, client_of(request))
    response = redirect(request, "/admin/login", gettext(request, "You are signed out."))
    end_session(request, response)
    return response


@action(sessions.SIGN_OUT_EVERYWHERE.role)
async def logout_everywhere(request: Request, who: Principal, form: object) -> Response:
    """POST /admin/logout-everywhere: ends every session of this account, this one too."""
    ctx = context_of(request)
    await ctx.db(sessions.sign_out_everywhere, ctx.operations(), who.actor, client_of(request))
    response = redirect(request, "/admin/login", gettext(request, "You are signed out everywhere."))
    end_session(request, response)
    return response
