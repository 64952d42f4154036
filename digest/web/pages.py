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

from digest.errors import TokenError, ValidationError
from digest.models import SUPPORTED_LANGUAGES, Subscriber, SubscriberStatus
from digest.store import subscribers as db
from digest.web.context import WebContext
from digest.web.labels import labels, negotiate

MAX_FIELD_BYTES = 64 * 1024


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


def field_error(t: Mapping[str, str], exc: ValidationError) -> str:
    """A field's error in the page's language (the detail stays as the check wrote it)."""
    return t["error_field"].format(detail=str(exc).partition(": ")[2])


def browser_language(ctx: WebContext, request: Request) -> str:
    """?lang=, else the browser's Accept-Language, else the newsletter's language."""
    asked = request.query_params.get("lang", "")
    if asked in SUPPORTED_LANGUAGES:
        return asked
    default: str = ctx.settings.newsletter.language
    return negotiate(request.headers.get("accept-language"), default)


def message_page(
    ctx: WebContext,
    request: Request,
    language: str,
    title_key: str,
    body_keys: tuple[str, ...],
    *,
    status_code: int = 200,
    links: list[tuple[str, str]] | None = None,
    form: tuple[str, str] | None = None,
    **fields: Any,
) -> Response:
    """A page with a title, a few paragraphs, links and at most one button form
    (action, label)."""
    t = labels(language)
    values = {"newsletter": ctx.newsletter, "days": ctx.settings.web.token_max_age_days, **fields}
    return ctx.render(
        request,
        "message.html",
        language=language,
        status_code=status_code,
        title=t[title_key].format(**values),
        paragraphs=[t[k].format(**values) for k in body_keys],
        links=links or [],
        form=form,
    )


def root_path(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def subscribe_link(request: Request, language: str) -> tuple[str, str]:
    return (f"{root_path(request)}/subscribe?lang={language}", labels(language)["resubscribe_link"])


#: Expired links whose owner may ask for a fresh one by mail (POST /renew/...).
RENEWABLE = frozenset({"confirm", "request", "preferences"})


def token_error_page(ctx: WebContext, request: Request, purpose: str, token: str, exc: TokenError) -> Response:
    """400 for a forged link; 410 for an expired one, with a button that mails a fresh
    link to the address the link was made for (preferences and confirmation links)."""
    language = browser_language(ctx, request)
    if "expired" not in str(exc):
        return message_page(ctx, request, language, "invalid_title", ("invalid_body",), status_code=400)
    form = None
    if purpose in RENEWABLE:
        form = (f"{root_path(request)}/renew/{purpose}/{token}", labels(language)["renew_button"])
    return message_page(ctx, request, language, "expired_title", ("expired_body",), status_code=410, form=form)


async def subscriber_from_token(
    ctx: WebContext, request: Request, purpose: str
) -> tuple[Subscriber | None, Response | None]:
    """The subscriber a link token names, or the 4xx page to answer instead."""
    language = browser_language(ctx, request)
    token = request.path_params.get("token") or request.query_params.get("t", "")
    try:
        subscriber_id = ctx.tokens.check(purpose, token, now=ctx.now())
    except TokenError as exc:
        return None, token_error_page(ctx, request, purpose, token, exc)
    sub = await ctx.db(db.get, ctx.store, subscriber_id)
    if sub is None or sub.status is SubscriberStatus.FORGOTTEN:
        return None, message_page(
            ctx, request, language, "gone_title", ("gone_body",), status_code=404,
            links=[subscribe_link(request, language)],
        )  # fmt: skip
    return sub, None
