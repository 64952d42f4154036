"""/account: a reader asks for a link to their preferences by giving their address.

GET shows a one-field form (``email``); POST checks the CSRF token and redirects to
``/account?sent=1`` (post/redirect/get), always: the lookup and the mail happen in a
background task after the answer, so neither the page nor its timing tells whether
the address is subscribed. A confirmed subscriber gets the link
(:mod:`digest.web.reader_mail`, within its abuse limits).
"""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest import i18n
from digest.errors import ValidationError
from digest.subscribers import membership as subs
from digest.web.context import context_of
from digest.web.pages import browser_language, form_text, read_form, refuse_stale_form, root_path
from digest.web.reader_mail import send_link_to_address

log = logging.getLogger(__name__)


async def account_page(request: Request) -> Response:
    """GET /account: the form, or (``?sent=1``) what happens next."""
    ctx = context_of(request)
    language = browser_language(ctx, request)
    sent = request.query_params.get("sent") == "1"
    error = request.query_params.get("error") == "email"
    return ctx.render(
        request,
        "account.html",
        language=language,
        private=False,
        sent=sent,
        days=ctx.settings.web.token_max_age_days,
        errors={"email": i18n.gettext(language, "Enter a valid email address, like jane.doe@example.com.")}
        if error
        else {},
    )


async def request_link(request: Request) -> Response:
    """POST /account: the same redirect whatever the address; the mail, if any, later."""
    ctx = context_of(request)
    language = browser_language(ctx, request)
    form = await read_form(request)
    if refused := await refuse_stale_form(ctx, request, form, language):
        return refused
    back = f"{root_path(request)}/account?lang={language}"
    try:
        address = subs.normalise_address(form_text(form, "email")[:320])
    except ValidationError:
        # Only the syntax is judged here, which says nothing about the list.
        return RedirectResponse(back + "&error=email", status_code=303)
    log.info("preferences link requested")
    return RedirectResponse(
        back + "&sent=1", status_code=303, background=BackgroundTask(send_link_to_address, ctx, address)
    )
