"""What the subscriber pages share: reading forms, choosing the language, message
pages, and checking the signed token of a link page.

Every link page checks its signed token first (:func:`subscriber_from_token`): a forged,
altered, expired or wrong-purpose token gets a 4xx page and changes nothing. The pages
themselves are in :mod:`digest.web.subscribe` and :mod:`digest.web.account`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from digest import i18n
from digest.errors import TokenError, ValidationError
from digest.i18n import N_
from digest.models import Subscriber, SubscriberStatus
from digest.subscribers import membership as subs
from digest.web.context import WebContext

MAX_FIELD_BYTES = 64 * 1024


#: Title and paragraphs of the message pages (messages of the catalogue).
NOT_FOUND = (N_("Page not found"), (N_("This page does not exist, or no longer does."),))
FORM_EXPIRED = (N_("This form has expired"), (N_("Reload the page, then try again."),))
TOO_MANY = (N_("Too many attempts"), (N_("Please try again in a minute."),))
CHECK_INBOX = (
    N_("Check your inbox"),
    (
        N_(
            "If this address can receive %(newsletter)s, a confirmation email is on its way to it. "
            "Click the link inside to finish subscribing."
        ),
        N_("Nothing after a few minutes? Look in your spam folder."),
    ),
)
UNSUBSCRIBED = (
    N_("You're unsubscribed"),
    (N_("%(email)s will no longer receive %(newsletter)s. A mistake? You can subscribe again at any time."),),
)
LINK_EXPIRED = (
    N_("This link has expired"),
    (N_("For your security, links stay valid for %(days)s days. Use the one in a more recent email."),),
)
LINK_INVALID = (
    N_("This link is not valid"),
    (N_("The link is incomplete or was changed. Open it exactly as it appears in the email."),),
)
GONE = (
    N_("This address is no longer subscribed"),
    (N_("To receive %(newsletter)s again, subscribe: we'll send you a confirmation email."),),
)


async def read_form(request: Request) -> dict[str, Any]:
    """The posted fields (a list for a repeated name). A body without a content type
    is read as URL-encoded: some one-click senders omit it."""
    content_type = request.headers.get("content-type", "")
    if not content_type:
        body = await request.body()
        pairs = parse_qsl(body[:MAX_FIELD_BYTES].decode("utf-8", "replace"), keep_blank_values=True)
    else:
        form = await request.form(max_files=0, max_fields=100, max_part_size=MAX_FIELD_BYTES)
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


def form_text(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def form_list(form: Mapping[str, Any], key: str) -> list[str]:
    value = form.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def field_error(language: str, exc: ValidationError) -> str:
    """A field's error in the page's language (the detail stays as the check wrote it)."""
    return i18n.gettext(language, "Check this field: %(detail)s", detail=str(exc).partition(": ")[2])


def negotiate(accept_language: str | None, default: str) -> str:
    """The supported language a browser prefers most (Accept-Language), else ``default``."""
    supported = i18n.languages()
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        if code not in supported:
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, code)
    return best[1] if best else default


def browser_language(ctx: WebContext, request: Request) -> str:
    """?lang=, else the browser's Accept-Language, else the newsletter's language."""
    default: str = ctx.settings.newsletter.language
    browser = negotiate(request.headers.get("accept-language"), default)
    return i18n.language_for(request.query_params.get("lang"), browser, default=default)


def message_page(
    ctx: WebContext,
    request: Request,
    language: str,
    title: str,
    paragraphs: tuple[str, ...],
    *,
    status_code: int = 200,
    links: list[tuple[str, str]] | None = None,
    form: tuple[str, str] | None = None,
    **fields: Any,
) -> Response:
    """A page with a title, a few paragraphs and links."""
    values = {
        "newsletter": ctx.newsletter,
        "days": ctx.settings.web.token_max_age_days,
        **ctx.name_phrases(language),
        **fields,
    }
    return ctx.render(
        request,
        "message.html",
        language=language,
        status_code=status_code,
        title=i18n.gettext(language, title, **values),
        paragraphs=[i18n.gettext(language, p, **values) for p in paragraphs],
        links=links or [],
        form=form,
    )


def root_path(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def subscribe_link(request: Request, language: str) -> tuple[str, str]:
    return (f"{root_path(request)}/subscribe?lang={language}", i18n.gettext(language, "Subscribe again"))


#: Expired links whose owner may ask for a fresh one by mail (POST /renew/...).
RENEWABLE = frozenset({"confirm", "request", "preferences"})


def token_error_page(ctx: WebContext, request: Request, purpose: str, token: str, exc: TokenError) -> Response:
    """400 for a forged link; 410 for an expired one, with a button that mails a fresh
    link to the address the link was made for (preferences and confirmation links)."""
    language = browser_language(ctx, request)
    if "expired" not in str(exc):
        return message_page(ctx, request, language, *LINK_INVALID, status_code=400)
    form = None
    if purpose in RENEWABLE:
        form = (f"{root_path(request)}/renew/{purpose}/{token}", i18n.gettext(language, "Send me a fresh link"))
    return message_page(ctx, request, language, *LINK_EXPIRED, status_code=410, form=form)


async def refuse_stale_form(
    ctx: WebContext,
    request: Request,
    form: Mapping[str, Any],
    language: str,
    *,
    links: list[tuple[str, str]] | None = None,
) -> Response | None:
    """The 403 "this form has expired" page when the form's CSRF token does not check, else None."""
    if await ctx.csrf_ok(request, form):
        return None
    return message_page(ctx, request, language, *FORM_EXPIRED, status_code=403, links=links)


async def subscriber_from_token(
    ctx: WebContext, request: Request, purpose: str, *, scope: str = ""
) -> tuple[Subscriber, int] | Response:
    """The subscriber a link token names (for ``scope``, e.g. one edition) and its id,
    or the 4xx page to answer instead."""
    language = browser_language(ctx, request)
    token = request.path_params.get("token") or request.query_params.get("t", "")
    try:
        subscriber_id = ctx.tokens.check(purpose, token, now=ctx.now(), scope=scope)
    except TokenError as exc:
        return token_error_page(ctx, request, purpose, token, exc)
    sub = await ctx.db(subs.get, ctx.store, subscriber_id)
    if sub is None or sub.status is SubscriberStatus.FORGOTTEN:
        return message_page(
            ctx,
            request,
            language,
            *GONE,
            status_code=404,
            links=[subscribe_link(request, language)],
        )
    return sub, subscriber_id
