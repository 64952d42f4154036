"""Signing in and out of the console.

Failed sign-ins are counted in the database, per address and per client address: after
:data:`MAX_FAILURES` in :data:`WINDOW` the next attempts get 429, whichever process
answers. A wrong address and a wrong password take the same time and get the same
message.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from digest.admins import verify_password
from digest.errors import ValidationError
from digest.logs import mask_email
from digest.store.admins import credentials, forget_failures, recent_failures, record_failure
from digest.store.subscribers import address_hash
from digest.subscribers.membership import normalise_address
from digest.web.admin.core import (
    current_admin,
    end_session,
    gettext,
    redirect,
    refused,
    render,
    root,
    start_session,
    text,
)
from digest.web.context import context_of
from digest.web.subscribe import client_ip

log = logging.getLogger(__name__)

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)


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
    """POST /admin/login: CSRF, the failure limit, then the password."""
    ctx = context_of(request)
    now = ctx.now()
    form = await request.form(max_files=0, max_fields=10)
    email = text(form, "email", 320).strip()
    try:
        address = normalise_address(email)
    except ValidationError:
        address = email.lower()
    keys = [f"email:{address_hash(address)}", f"ip:{client_ip(request)}"]
    since = now - WINDOW
    for key in keys:
        if await ctx.db(recent_failures, ctx.store, key, since=since) >= MAX_FAILURES:
            log.warning("admin sign-in refused: too many failures", extra={"key": key.split(":")[0]})
            response = _login_again(
                request, 429, email, gettext(request, "Too many failed attempts. Wait 15 minutes and try again.")
            )
            response.headers["Retry-After"] = str(int(WINDOW.total_seconds()))
            return response
    if not await ctx.csrf_ok(request, {"csrf_token": text(form, "csrf_token")}):
        return _login_again(request, 403, email, gettext(request, "The form had expired. Try again."))
    found = await ctx.db(credentials, ctx.store, address)
    password = text(form, "password", 1024)
    # An unknown address is verified against a dummy hash: the same time either way.
    ok = verify_password(found[1] if found else None, password) and found is not None
    if not ok or found is None:
        await ctx.db(record_failure, ctx.store, keys, now=now)
        await ctx.db(forget_failures, ctx.store, before=now - 2 * WINDOW)
        log.info("admin sign-in failed", extra={"to": mask_email(address)})
        wrong = gettext(request, "The email address or the password is wrong.")
        return _login_again(request, 400, email, wrong, text(form, "next", 500))
    admin, password_hash = found
    done = redirect(request, _next(request, text(form, "next", 500)))
    start_session(request, done, admin.email, password_hash)
    log.info("admin signed in", extra={"to": mask_email(admin.email)})
    return done


async def logout(request: Request) -> Response:
    """POST /admin/logout: ends the session (403 without the form's CSRF token)."""
    ctx = context_of(request)
    form = await request.form(max_files=0, max_fields=10)
    if not await ctx.csrf_ok(request, {"csrf_token": text(form, "csrf_token")}):
        return refused(
            request, await current_admin(request), 403, gettext(request, "The form had expired. Go back and try again.")
        )
    response = redirect(request, "/admin/login", gettext(request, "You are signed out."))
    end_session(request, response)
    return response
