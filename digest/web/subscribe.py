"""The subscribe form: GET shows it, POST records a pending subscription with its
consent and sends the double opt-in mail.

POST is rate-limited per IP, CSRF-protected, and answers with the same page whether the
address is new, already confirmed, unsubscribed or bounced (only the mail differs).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest import i18n, metrics
from digest.errors import DeliveryError, ValidationError
from digest.logs import mask_email
from digest.mail.transactional import confirmation_message
from digest.models import Consent, Subscriber
from digest.subscribers import membership as subs
from digest.subscribers import signup as consent
from digest.web.context import WebContext, context_of
from digest.web.mail_limits import confirmation_allowed
from digest.web.pages import (
    CHECK_INBOX,
    TOO_MANY,
    browser_language,
    field_error,
    form_text,
    message_page,
    read_form,
    refuse_stale_form,
    root_path,
)
from digest.web.reader_mail import send_link

log = logging.getLogger(__name__)


#: Version of the consent wording on the subscribe form; stored with each consent
#: (``web-<version>/<language>``), so the exact text a person agreed to can be shown.
CONSENT_VERSION = "2026-11"


def consent_version(language: str) -> str:
    """The consent text version stored with a web subscription."""
    return f"web-{CONSENT_VERSION}/{language}"


def _subscribe_form(
    ctx: WebContext,
    request: Request,
    language: str,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status_code: int = 200,
) -> Response:
    other = i18n.other_language(language, default=ctx.settings.newsletter.language)
    return ctx.render(
        request,
        "subscribe.html",
        language=language,
        status_code=status_code,
        private=False,
        values={"email": "", "name": "", "language": language, "consent": False, **values},
        errors=errors,
        other_language=other,
        # in the other language's own words: "Read in English" on the French page
        switch_language=i18n.gettext(other, "Read in this language"),
    )


async def subscribe_form(request: Request) -> Response:
    """GET /subscribe: the form."""
    ctx = context_of(request)
    language = browser_language(ctx, request)
    if request.query_params.get("sent") == "1":  # where a successful POST redirects
        return message_page(ctx, request, language, *CHECK_INBOX)
    return _subscribe_form(ctx, request, language, {}, {})


def client_ip(request: Request) -> str:
    """The client's address: the socket's peer, or the client a trusted proxy names
    (``[web] trusted_proxies``, see digest.web.middleware)."""
    return request.client.host if request.client else "unknown"


async def send_confirmation(ctx: WebContext, sub: Subscriber, *, request_id: int | None = None) -> bool:
    """Send the double opt-in mail (its link names the request kept apart, when there
    is one); False when it was not sent, which is logged and counted."""
    assert sub.id is not None
    now = ctx.now()
    url = ctx.links.confirm_request(request_id, now=now) if request_id else ctx.links.confirm(sub.id, now=now)
    try:
        message = confirmation_message(ctx.settings, sub, url, now=now)
        await ctx.mailer.send(message)
    except DeliveryError as exc:
        log.warning("confirmation mail not sent", extra={"subscriber_id": sub.id, "error": str(exc)})
    except Exception:  # a background task must not take the server down
        log.exception("confirmation mail failed", extra={"subscriber_id": sub.id})
    else:
        metrics.confirmation_mail("sent")
        log.info("confirmation mail sent", extra={"subscriber_id": sub.id, "to": mask_email(sub.email)})
        return True
    metrics.confirmation_mail("failed")
    return False


async def subscribe(request: Request) -> Response:
    """POST /subscribe: rate-limited per IP; the same answer for every valid address."""
    ctx = context_of(request)
    language = browser_language(ctx, request)
    now = ctx.now()
    allowed, retry_after = ctx.subscribe_limiter.allow(f"ip:{client_ip(request)}", now.timestamp())
    if not allowed:
        metrics.rate_limited("subscribe")
        page = message_page(ctx, request, language, *TOO_MANY, status_code=429)
        page.headers["Retry-After"] = str(max(1, round(retry_after)))
        return page
    form = await read_form(request)
    again = (f"{root_path(request)}/subscribe?lang={language}", i18n.gettext(language, "Subscribe"))
    if refused := await refuse_stale_form(ctx, request, form, language, links=[again]):
        return refused
    email = form_text(form, "email").strip()[:320]
    asked_name = form_text(form, "name")[:200]
    asked_language = form_text(form, "language") or language
    consented = form_text(form, "consent") == "yes"
    values = {"email": email, "name": asked_name, "language": asked_language, "consent": consented}
    errors: dict[str, str] = {}
    name, chosen = "", language
    try:
        subs.normalise_address(email)
    except ValidationError:
        errors["email"] = i18n.gettext(language, "Enter a valid email address, like jane.doe@example.com.")
    try:
        name = subs.check_name(asked_name)
    except ValidationError as exc:
        errors["name"] = field_error(language, exc)
    try:
        chosen = subs.check_language(asked_language, default=language)
    except ValidationError as exc:
        errors["language"] = field_error(language, exc)
    if not consented:
        errors["consent"] = i18n.gettext(language, "Tick the box to agree to receive the newsletter.")
    if errors:
        metrics.subscribe_request("invalid")
        return _subscribe_form(ctx, request, language, values, errors, status_code=400)
    if form_text(form, "website"):  # the honeypot: a bot filled the hidden field
        metrics.subscribe_request("honeypot")
        log.info("subscription ignored (honeypot)")
        return _sent(request, language)

    record = Consent(
        at=now,
        source="web",
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:500],
        text_version=consent_version(chosen),
    )
    profile = subs.Profile(name=name, language=chosen)
    result = await ctx.db(consent.subscribe, ctx.store, email, profile, consent=record, now=now)
    metrics.subscribe_request(result.outcome.value)
    log.info("subscription requested", extra={"outcome": result.outcome.value})
    page = _sent(request, chosen)
    sub = result.subscriber
    # Limited per address and in total (in the database), so nobody can flood
    # someone's inbox from many IPs or many processes.
    if result.needs_confirmation_mail and sub is not None and await confirmation_allowed(ctx, sub.email):
        page.background = BackgroundTask(send_confirmation, ctx, sub, request_id=result.request_id)
    # A confirmed address gets "you are already subscribed" and its preferences link
    # (within the same limits, see reader_mail.may_send_to).
    elif result.outcome is consent.Outcome.ALREADY and sub is not None:
        page.background = BackgroundTask(send_link, ctx, sub, reason="already")
    return page


def _sent(request: Request, language: str) -> Response:
    """Post/redirect/get: the "check your inbox" page, which a refresh does not post again."""
    return RedirectResponse(f"{root_path(request)}/subscribe?sent=1&lang={language}", status_code=303)
