"""The subscriber pages: subscribe, confirm, preferences, unsubscribe (and one-click).

Every link page checks its signed token first: a forged, altered, expired or
wrong-purpose token gets a 4xx page and changes nothing. Every form is CSRF-protected
except the RFC 8058 one-click POST, which mail providers send without cookies. GET
never changes anything (link scanners open links); POST does.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from digest import subscriptions as subs
from digest.deliver.transactional import confirmation_message
from digest.errors import DeliveryError, NotFoundError, TokenError, ValidationError
from digest.logs import mask_email
from digest.models import SUPPORTED_LANGUAGES, Consent, Subscriber, SubscriberStatus
from digest.store import subscribers as db
from digest.web.context import WebContext, context_of
from digest.web.labels import consent_version, labels, negotiate
from digest.web.timezones import common_timezones

log = logging.getLogger(__name__)

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


def _text(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _list(form: Mapping[str, Any], key: str) -> list[str]:
    value = form.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _field_error(t: Mapping[str, str], exc: ValidationError) -> str:
    """A field's error in the page's language (the detail stays as the check wrote it)."""
    return t["error_field"].format(detail=str(exc).partition(": ")[2])


def browser_language(ctx: WebContext, request: Request) -> str:
    """?lang=, else the browser's Accept-Language, else the newsletter's language."""
    asked = request.query_params.get("lang", "")
    if asked in SUPPORTED_LANGUAGES:
        return asked
    default: str = ctx.settings.get("newsletter", "language")
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
    **fields: Any,
) -> Response:
    """A page with a title, a few paragraphs and links."""
    t = labels(language)
    values = {"newsletter": ctx.newsletter, "days": ctx.settings.get("web", "token_max_age_days"), **fields}
    return ctx.render(
        request,
        "message.html",
        language=language,
        status_code=status_code,
        title=t[title_key].format(**values),
        paragraphs=[t[k].format(**values) for k in body_keys],
        links=links or [],
    )


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _subscribe_link(request: Request, language: str) -> tuple[str, str]:
    return (f"{_root(request)}/subscribe?lang={language}", labels(language)["resubscribe_link"])


async def subscriber_from_token(
    ctx: WebContext, request: Request, purpose: str
) -> tuple[Subscriber | None, Response | None]:
    """The subscriber a link token names, or the 4xx page to answer instead."""
    language = browser_language(ctx, request)
    token = request.path_params.get("token") or request.query_params.get("t", "")
    try:
        subscriber_id = ctx.tokens.check(purpose, token, now=ctx.now())
    except TokenError as exc:
        expired = "expired" in str(exc)
        return None, message_page(
            ctx,
            request,
            language,
            "expired_title" if expired else "invalid_title",
            ("expired_body" if expired else "invalid_body",),
            status_code=410 if expired else 400,
        )
    sub = await ctx.db(db.get, ctx.store, subscriber_id)
    if sub is None or sub.status is SubscriberStatus.FORGOTTEN:
        return None, message_page(
            ctx, request, language, "gone_title", ("gone_body",), status_code=404,
            links=[_subscribe_link(request, language)],
        )  # fmt: skip
    return sub, None


# Subscribe ---------------------------------------------------------------------------


def _subscribe_form(
    ctx: WebContext,
    request: Request,
    language: str,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status_code: int = 200,
) -> Response:
    other = next((c for c in SUPPORTED_LANGUAGES if c != language), language)
    return ctx.render(
        request,
        "subscribe.html",
        language=language,
        status_code=status_code,
        private=False,
        values={"email": "", "name": "", "language": language, "consent": False, **values},
        errors=errors,
        other_language=other,
    )


async def subscribe_form(request: Request) -> Response:
    """GET /subscribe: the form."""
    ctx = context_of(request)
    return _subscribe_form(ctx, request, browser_language(ctx, request), {}, {})


def client_ip(request: Request) -> str:
    """The client's address (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else "unknown"


async def send_confirmation(ctx: WebContext, sub: Subscriber) -> None:
    """Send the double opt-in mail; a failure is logged (the person can submit again)."""
    assert sub.id is not None
    now = ctx.now()
    message = confirmation_message(ctx.settings, sub, ctx.links.confirm(sub.id, now=now), now=now)
    try:
        await ctx.mailer.send(message)
    except DeliveryError as exc:
        log.warning("confirmation mail not sent", extra={"subscriber_id": sub.id, "error": str(exc)})
    except Exception:  # a background task must not take the server down
        log.exception("confirmation mail failed", extra={"subscriber_id": sub.id})
    else:
        log.info("confirmation mail sent", extra={"subscriber_id": sub.id, "to": mask_email(sub.email)})


async def subscribe(request: Request) -> Response:
    """POST /subscribe: rate-limited per IP; the same answer for every valid address."""
    ctx = context_of(request)
    language = browser_language(ctx, request)
    now = ctx.now()
    allowed, retry_after = ctx.subscribe_limiter.allow(f"ip:{client_ip(request)}", now.timestamp())
    if not allowed:
        page = message_page(ctx, request, language, "ratelimit_title", ("ratelimit_body",), status_code=429)
        page.headers["Retry-After"] = str(max(1, round(retry_after)))
        return page
    form = await read_form(request)
    if not await ctx.csrf_ok(request, form):
        again = (f"{_root(request)}/subscribe?lang={language}", labels(language)["subscribe_button"])
        return message_page(ctx, request, language, "csrf_title", ("csrf_body",), status_code=403, links=[again])
    t = labels(language)
    email = _text(form, "email").strip()[:320]
    asked_name = _text(form, "name")[:200]
    asked_language = _text(form, "language") or language
    consented = _text(form, "consent") == "yes"
    values = {"email": email, "name": asked_name, "language": asked_language, "consent": consented}
    errors: dict[str, str] = {}
    name, chosen = "", language
    try:
        subs.normalise_address(email)
    except ValidationError:
        errors["email"] = t["error_email"]
    try:
        name = subs.check_name(asked_name)
    except ValidationError as exc:
        errors["name"] = _field_error(t, exc)
    try:
        chosen = subs.check_language(asked_language, default=language)
    except ValidationError as exc:
        errors["language"] = _field_error(t, exc)
    if not consented:
        errors["consent"] = t["error_consent"]
    if errors:
        return _subscribe_form(ctx, request, language, values, errors, status_code=400)
    if _text(form, "website"):  # the honeypot: a bot filled the hidden field
        log.info("subscription ignored (honeypot)")
        return message_page(ctx, request, language, "check_title", ("check_body", "check_spam"))

    consent = Consent(
        at=now,
        source="web",
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:500],
        text_version=consent_version(chosen),
    )
    profile = subs.Profile(name=name, language=chosen)
    result = await ctx.db(subs.subscribe, ctx.store, email, profile, consent=consent, now=now)
    log.info("subscription requested", extra={"outcome": result.outcome.value})
    page = message_page(ctx, request, chosen, "check_title", ("check_body", "check_spam"))
    sub = result.subscriber
    # Also limited per address, so nobody can flood someone's inbox from many IPs.
    if (
        result.needs_confirmation_mail
        and sub is not None
        and ctx.mail_limiter.allow(f"to:{db.address_hash(sub.email)}", now.timestamp())[0]
    ):
        page.background = BackgroundTask(send_confirmation, ctx, sub)
    return page


# Confirm -----------------------------------------------------------------------------


def preferences_path(ctx: WebContext, request: Request, subscriber_id: int) -> str:
    """The in-app path of a subscriber's preferences page (a fresh signed token)."""
    return f"{_root(request)}/preferences/{ctx.tokens.make('preferences', subscriber_id, now=ctx.now())}"


def unsubscribe_path(ctx: WebContext, request: Request, subscriber_id: int) -> str:
    """The in-app path of a subscriber's unsubscribe page."""
    return f"{_root(request)}/unsubscribe/{ctx.tokens.make('unsubscribe', subscriber_id, now=ctx.now())}"


def _gone(ctx: WebContext, request: Request, sub: Subscriber, status_code: int = 200) -> Response:
    return message_page(
        ctx, request, sub.language, "unsubscribed_title", ("unsubscribed_body",), status_code=status_code,
        links=[_subscribe_link(request, sub.language)], email=sub.email,
    )  # fmt: skip


async def confirm_page(request: Request) -> Response:
    """GET /confirm/{token}: a button (a link scanner opening the mail confirms nothing)."""
    ctx = context_of(request)
    sub, error = await subscriber_from_token(ctx, request, "confirm")
    if error is not None:
        return error
    assert sub is not None and sub.id is not None
    if sub.status is SubscriberStatus.CONFIRMED:
        return RedirectResponse(preferences_path(ctx, request, sub.id), status_code=303)
    if sub.status is not SubscriberStatus.PENDING:
        return _gone(ctx, request, sub)
    return ctx.render(request, "confirm.html", language=sub.language, subscriber=sub, action=request.url.path)


async def confirm(request: Request) -> Response:
    """POST /confirm/{token}: confirm, then on to the preferences page."""
    ctx = context_of(request)
    sub, error = await subscriber_from_token(ctx, request, "confirm")
    if error is not None:
        return error
    assert sub is not None and sub.id is not None
    if not await ctx.csrf_ok(request, await read_form(request)):
        return message_page(ctx, request, sub.language, "csrf_title", ("csrf_body",), status_code=403)
    try:
        await ctx.db(subs.confirm, ctx.store, sub.id, now=ctx.now())
    except subs.StateError:
        return _gone(ctx, request, sub, status_code=409)
    log.info("subscription confirmed", extra={"subscriber_id": sub.id})
    return RedirectResponse(preferences_path(ctx, request, sub.id) + "?confirmed=1", status_code=303)


# Preferences -------------------------------------------------------------------------


def _prefs_values(sub: Subscriber) -> dict[str, Any]:
    return {
        "name": sub.name,
        "language": sub.language,
        "topics": list(sub.topics),
        "send_at": sub.send_at.strftime("%H:%M") if sub.send_at else "",
        "timezone": sub.timezone,
    }


async def _prefs_form(
    ctx: WebContext,
    request: Request,
    sub: Subscriber,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    banner: str = "",
    status_code: int = 200,
) -> Response:
    assert sub.id is not None
    known = await ctx.db(subs.known_topics, ctx.settings, ctx.store)
    # Topics the subscriber has that are no longer known stay visible (and ticked).
    categories = list(dict.fromkeys([*known, *values.get("topics", [])])) if known else []
    return ctx.render(
        request,
        "preferences.html",
        language=sub.language,
        status_code=status_code,
        subscriber=sub,
        values=values,
        errors=errors,
        banner=banner,
        pending=sub.status is SubscriberStatus.PENDING,
        categories=categories,
        timezones=common_timezones(values.get("timezone", "")),
        default_send_at=ctx.settings.get("schedule", "send_at"),
        default_timezone=ctx.settings.get("schedule", "timezone"),
        action=request.url.path,
        unsubscribe_url=unsubscribe_path(ctx, request, sub.id),
    )


async def preferences_page(request: Request) -> Response:
    """GET /preferences/{token}."""
    ctx = context_of(request)
    sub, error = await subscriber_from_token(ctx, request, "preferences")
    if error is not None:
        return error
    assert sub is not None
    if sub.status in db.SUPPRESSED_STATUSES:
        return _gone(ctx, request, sub)
    t = labels(sub.language)
    banner = ""
    if request.query_params.get("confirmed"):
        banner = t["confirmed_banner"].format(newsletter=ctx.newsletter)
    elif request.query_params.get("saved"):
        banner = t["saved_banner"]
    return await _prefs_form(ctx, request, sub, _prefs_values(sub), {}, banner=banner)


async def save_preferences(request: Request) -> Response:
    """POST /preferences/{token}: validate every field, save, and show the page again."""
    ctx = context_of(request)
    sub, error = await subscriber_from_token(ctx, request, "preferences")
    if error is not None:
        return error
    assert sub is not None and sub.id is not None
    form = await read_form(request)
    if not await ctx.csrf_ok(request, form):
        return message_page(ctx, request, sub.language, "csrf_title", ("csrf_body",), status_code=403)
    if sub.status in db.SUPPRESSED_STATUSES:
        return _gone(ctx, request, sub, status_code=409)
    topics = _list(form, "topics") if "topics_text" not in form else subs.split_topics(_text(form, "topics_text"))
    name = _text(form, "name")[:200]
    language = _text(form, "language")
    send_at = _text(form, "send_at").strip()[:5]
    timezone = _text(form, "timezone").strip()[:64]
    values = {"name": name, "language": language, "topics": topics, "send_at": send_at, "timezone": timezone}
    t = labels(sub.language)
    errors: dict[str, str] = {}
    known = await ctx.db(subs.known_topics, ctx.settings, ctx.store)
    profile = subs.Profile()
    # Each field is checked on its own so that the page lists every mistake at once.
    try:
        profile = replace(profile, name=subs.check_name(name))
    except ValidationError as exc:
        errors["name"] = _field_error(t, exc)
    try:
        profile = replace(profile, language=subs.check_language(language, default=sub.language))
    except ValidationError as exc:
        errors["language"] = _field_error(t, exc)
    try:
        profile = replace(profile, topics=subs.check_topics(topics, known)[0])
    except ValidationError as exc:
        errors["topics"] = _field_error(t, exc)
    try:
        profile = replace(profile, send_at=subs.check_send_at(send_at))
    except ValidationError as exc:
        errors["send_at"] = _field_error(t, exc)
    try:
        profile = replace(profile, timezone=subs.check_timezone(timezone))
    except ValidationError as exc:
        errors["timezone"] = _field_error(t, exc)
    if errors:
        return await _prefs_form(ctx, request, sub, values, errors, status_code=400)
    await ctx.db(subs.update_profile, ctx.store, sub.id, profile, now=ctx.now())
    log.info("preferences saved", extra={"subscriber_id": sub.id})
    return RedirectResponse(request.url.path + "?saved=1", status_code=303)


# Unsubscribe -------------------------------------------------------------------------


async def unsubscribe_page(request: Request) -> Response:
    """GET /unsubscribe/{token}: a confirm button, and the gentler preferences option."""
    ctx = context_of(request)
    sub, error = await subscriber_from_token(ctx, request, "unsubscribe")
    if error is not None:
        return error
    assert sub is not None and sub.id is not None
    if sub.status in db.SUPPRESSED_STATUSES:
        return _gone(ctx, request, sub)
    return ctx.render(
        request, "unsubscribe.html", language=sub.language, subscriber=sub, action=request.url.path,
        preferences_url=preferences_path(ctx, request, sub.id),
    )  # fmt: skip


async def unsubscribe(request: Request) -> Response:
    """POST /unsubscribe/{token}: the page's button (with CSRF), or the RFC 8058
    one-click POST (body ``List-Unsubscribe=One-Click``, no cookies): 200, no redirect."""
    ctx = context_of(request)
    form = await read_form(request)
    one_click = _text(form, "List-Unsubscribe") == "One-Click"
    try:
        subscriber_id = ctx.tokens.check("unsubscribe", request.path_params["token"], now=ctx.now())
    except TokenError as exc:
        if one_click:
            status = 410 if "expired" in str(exc) else 400
            return PlainTextResponse(f"{exc}\n", status_code=status)
        sub, error = await subscriber_from_token(ctx, request, "unsubscribe")
        assert error is not None
        return error
    if one_click:
        # Erased on request (NotFoundError): not on the list, which is what was asked.
        with contextlib.suppress(NotFoundError):
            await ctx.db(subs.unsubscribe, ctx.store, subscriber_id, now=ctx.now(), source="one-click")
        log.info("unsubscribed (one-click)", extra={"subscriber_id": subscriber_id})
        sub = await ctx.db(db.get, ctx.store, subscriber_id)
        language = sub.language if sub else ctx.settings.get("newsletter", "language")
        text = labels(language)["one_click_done"].format(newsletter=ctx.newsletter)
        return PlainTextResponse(text + "\n", headers={"Cache-Control": "no-store"})
    sub, error = await subscriber_from_token(ctx, request, "unsubscribe")
    if error is not None:
        return error
    assert sub is not None and sub.id is not None
    if not await ctx.csrf_ok(request, form):
        return message_page(ctx, request, sub.language, "csrf_title", ("csrf_body",), status_code=403)
    left = await ctx.db(subs.unsubscribe, ctx.store, sub.id, now=ctx.now(), source="link")
    log.info("unsubscribed", extra={"subscriber_id": sub.id})
    return _gone(ctx, request, left)
