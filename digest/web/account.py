"""The pages a subscriber reaches from a mail: confirm, preferences, unsubscribe
(and the RFC 8058 one-click POST).

GET never changes anything (link scanners open links); POST does, behind a CSRF token,
except the one-click POST, which mail providers send without cookies and whose signed
URL token is its authority.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from digest import i18n
from digest.errors import NotFoundError, TokenError, ValidationError
from digest.mail.fresh_link import preferences_link_message
from digest.models import SUPPRESSED_STATUSES, Consent, Subscriber, SubscriberStatus
from digest.subscribers import membership as subs
from digest.subscribers import signup as consent
from digest.subscribers import tracking_consent
from digest.web.context import NOINDEX, WebContext, context_of
from digest.web.mail_limits import confirmation_allowed
from digest.web.pages import (
    CHECK_INBOX,
    GONE,
    LINK_INVALID,
    RENEWABLE,
    UNSUBSCRIBED,
    browser_language,
    field_error,
    form_list,
    form_text,
    message_page,
    read_form,
    refuse_stale_form,
    root_path,
    subscribe_link,
    subscriber_from_token,
    token_error_page,
)
from digest.web.preference_choices import is_listed, timezone_choices, topics_for, utc_offset, zone_city, zone_label
from digest.web.subscribe import client_ip, send_confirmation

log = logging.getLogger(__name__)


def preferences_path(ctx: WebContext, request: Request, subscriber_id: int) -> str:
    """The in-app path of a subscriber's preferences page (a fresh signed token)."""
    return f"{root_path(request)}/preferences/{ctx.tokens.make('preferences', subscriber_id, now=ctx.now())}"


def unsubscribe_path(ctx: WebContext, request: Request, subscriber_id: int) -> str:
    """The in-app path of a subscriber's unsubscribe page."""
    return f"{root_path(request)}/unsubscribe/{ctx.tokens.make('unsubscribe', subscriber_id, now=ctx.now())}"


def _gone(ctx: WebContext, request: Request, sub: Subscriber, status_code: int = 200) -> Response:
    return message_page(
        ctx,
        request,
        sub.language,
        *UNSUBSCRIBED,
        status_code=status_code,
        links=[subscribe_link(request, sub.language)],
        email=sub.email,
    )


async def _confirm_target(ctx: WebContext, request: Request) -> tuple[Subscriber, int, int | None] | Response:
    """The subscriber a confirm link names, its id, the request kept apart it names (if
    any), or the 4xx page to answer instead. Two kinds of token share /confirm/: a
    subscriber's ("confirm") and a request's ("request", see digest.subscribers.signup)."""
    token = request.path_params["token"]
    try:
        request_id = ctx.tokens.check("request", token, now=ctx.now())
    except TokenError as exc:
        if "expired" in str(exc):
            return token_error_page(ctx, request, "request", token, exc)
        found = await subscriber_from_token(ctx, request, "confirm")
        return found if isinstance(found, Response) else (*found, None)
    try:
        sub = await ctx.db(consent.request_subscriber, ctx.store, request_id)
    except NotFoundError:
        sub = None
    if sub is None or sub.id is None:
        language = browser_language(ctx, request)
        return message_page(ctx, request, language, *GONE, status_code=404, links=[subscribe_link(request, language)])
    return sub, sub.id, request_id


async def confirm_page(request: Request) -> Response:
    """GET /confirm/{token}: a button (a link scanner opening the mail confirms nothing)."""
    ctx = context_of(request)
    found = await _confirm_target(ctx, request)
    if isinstance(found, Response):
        return found
    sub, sub_id, request_id = found
    if sub.status is SubscriberStatus.CONFIRMED and request_id is None:
        return RedirectResponse(preferences_path(ctx, request, sub_id), status_code=303)
    if sub.status is not SubscriberStatus.PENDING and request_id is None:
        return _gone(ctx, request, sub)
    return ctx.render(request, "confirm.html", language=sub.language, subscriber=sub, action=request.url.path)


async def confirm(request: Request) -> Response:
    """POST /confirm/{token}: confirm (applying the request kept apart, if the link
    names one), then on to the preferences page."""
    ctx = context_of(request)
    found = await _confirm_target(ctx, request)
    if isinstance(found, Response):
        return found
    sub, sub_id, request_id = found
    if refused := await refuse_stale_form(ctx, request, await read_form(request), sub.language):
        return refused
    try:
        if request_id is not None:
            await ctx.db(consent.confirm_request, ctx.store, request_id, now=ctx.now())
        else:
            await ctx.db(subs.confirm, ctx.store, sub_id, now=ctx.now())
    except subs.StateError:
        return _gone(ctx, request, sub, status_code=409)
    log.info("subscription confirmed", extra={"subscriber_id": sub_id})
    return RedirectResponse(preferences_path(ctx, request, sub_id) + "?confirmed=1", status_code=303)


async def renew(request: Request) -> Response:
    """POST /renew/{purpose}/{token}: the button on an expired preferences or
    confirmation link. A fresh link goes to the address the old one was made for, never
    to one typed here; the answer is the same whatever happens, and the mails count
    against the confirmation limits."""
    ctx = context_of(request)
    purpose, token = request.path_params["purpose"], request.path_params["token"]
    language = browser_language(ctx, request)
    if purpose not in RENEWABLE:
        return message_page(ctx, request, language, *LINK_INVALID, status_code=404)
    try:
        ident = ctx.tokens.check_signature(purpose, token)
    except TokenError as exc:
        return token_error_page(ctx, request, purpose, token, exc)
    if refused := await refuse_stale_form(ctx, request, await read_form(request), language):
        return refused
    done = message_page(ctx, request, language, *CHECK_INBOX)
    try:
        sub = await ctx.db(consent.request_subscriber, ctx.store, ident) if purpose == "request" else None
    except NotFoundError:
        return done
    if sub is None:
        sub = await ctx.db(subs.get, ctx.store, ident)
    if sub is None or sub.id is None or sub.status in (SubscriberStatus.BOUNCED, SubscriberStatus.FORGOTTEN):
        return done
    # A request may come from someone who left (that is what it is for); the other two
    # links only make sense for a subscriber still pending, or still on the list.
    if purpose == "confirm" and sub.status is not SubscriberStatus.PENDING:
        return done
    if purpose == "preferences" and sub.status in SUPPRESSED_STATUSES:
        return done
    if not await confirmation_allowed(ctx, sub.email):
        return done
    if purpose == "preferences":
        done.background = BackgroundTask(_send_preferences_link, ctx, sub)
    else:
        done.background = BackgroundTask(
            send_confirmation, ctx, sub, request_id=ident if purpose == "request" else None
        )
    log.info("fresh link requested", extra={"subscriber_id": sub.id, "purpose": purpose})
    return done


async def _send_preferences_link(ctx: WebContext, sub: Subscriber) -> None:
    assert sub.id is not None
    now = ctx.now()
    try:
        await ctx.mailer.send(
            preferences_link_message(ctx.settings, sub, ctx.links.preferences(sub.id, now=now), now=now)
        )
    except Exception as exc:  # a background task must not take the server down
        log.warning("preferences link not sent", extra={"subscriber_id": sub.id, "error": str(exc)})


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
    language = sub.language
    tracking_choice = ctx.settings.tracking.clicks == "per_subscriber"
    if tracking_choice and "tracking_consent" not in values:
        values = {**values, "tracking_consent": await ctx.db(tracking_consent.tracking_consent, ctx.store, sub.id)}
    configured = list(ctx.settings.newsletter.categories)
    by_language = await ctx.db(subs.topics_by_language, ctx.store)
    # The reader's language only; topics they already have stay visible (and ticked).
    categories = topics_for(language, configured, by_language, values.get("topics", []))
    now = ctx.now()
    own_zone: str = ctx.settings.schedule.timezone
    current = values.get("timezone", "")
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
        timezone_groups=timezone_choices(language, now),
        # an alias or unlisted name the reader has (typed, imported) stays selectable
        unlisted_timezone=(current, zone_label(current, language, now)) if current and not is_listed(current) else None,
        default_send_at=f"{ctx.settings.schedule.send_at} ({ctx.settings.schedule.timezone})",
        default_timezone=f"{zone_city(own_zone, language)}, {utc_offset(own_zone, now)}",
        action=request.url.path,
        unsubscribe_url=unsubscribe_path(ctx, request, sub.id),
        tracking_choice=tracking_choice,
    )


LinkedPage = Callable[[Request, WebContext, Subscriber, int], Awaitable[Response]]


def _linked(purpose: str) -> Callable[[LinkedPage], Callable[[Request], Awaitable[Response]]]:
    """A page of a ``purpose`` link: ``handler`` gets the subscriber its token names and
    the subscriber's id; a bad token or a subscriber gone is answered before it runs."""

    def decorate(handler: LinkedPage) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            ctx = context_of(request)
            found = await subscriber_from_token(ctx, request, purpose)
            if isinstance(found, Response):
                return found
            return await handler(request, ctx, *found)

        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    return decorate


@_linked("preferences")
async def preferences_page(request: Request, ctx: WebContext, sub: Subscriber, sub_id: int) -> Response:
    """GET /preferences/{token}."""
    if sub.status in SUPPRESSED_STATUSES:
        return _gone(ctx, request, sub)
    banner = ""
    if request.query_params.get("confirmed"):
        banner = i18n.gettext(
            sub.language, "Confirmed: you'll get %(newsletter)s from the next edition.", newsletter=ctx.newsletter
        )
    elif request.query_params.get("saved"):
        banner = i18n.gettext(sub.language, "Your preferences are saved.")
    return await _prefs_form(ctx, request, sub, _prefs_values(sub), {}, banner=banner)


@_linked("preferences")
async def save_preferences(request: Request, ctx: WebContext, sub: Subscriber, sub_id: int) -> Response:
    """POST /preferences/{token}: validate every field, save, and show the page again."""
    form = await read_form(request)
    if refused := await refuse_stale_form(ctx, request, form, sub.language):
        return refused
    if sub.status in SUPPRESSED_STATUSES:
        return _gone(ctx, request, sub, status_code=409)
    topics = (
        form_list(form, "topics") if "topics_text" not in form else subs.split_topics(form_text(form, "topics_text"))
    )
    name = form_text(form, "name")[:200]
    language = form_text(form, "language")
    send_at = form_text(form, "send_at").strip()[:5]
    timezone = form_text(form, "timezone").strip()[:64]
    values: dict[str, Any] = {
        "name": name,
        "language": language,
        "topics": topics,
        "send_at": send_at,
        "timezone": timezone,
    }
    tracking_choice = ctx.settings.tracking.clicks == "per_subscriber"
    if tracking_choice:
        values["tracking_consent"] = form_text(form, "tracking_consent") == "yes"
    errors: dict[str, str] = {}
    known = await ctx.db(subs.known_topics, ctx.settings, ctx.store)
    profile = subs.Profile()
    # Each field is checked on its own so that the page lists every mistake at once.
    try:
        profile = replace(profile, name=subs.check_name(name))
    except ValidationError as exc:
        errors["name"] = field_error(sub.language, exc)
    try:
        profile = replace(profile, language=subs.check_language(language, default=sub.language))
    except ValidationError as exc:
        errors["language"] = field_error(sub.language, exc)
    try:
        profile = replace(profile, topics=subs.check_topics(topics, known)[0])
    except ValidationError as exc:
        errors["topics"] = field_error(sub.language, exc)
    try:
        profile = replace(profile, send_at=subs.check_send_at(send_at))
    except ValidationError as exc:
        errors["send_at"] = field_error(sub.language, exc)
    try:
        profile = replace(profile, timezone=subs.check_timezone(timezone))
    except ValidationError as exc:
        errors["timezone"] = field_error(sub.language, exc)
    if errors:
        return await _prefs_form(ctx, request, sub, values, errors, status_code=400)
    await ctx.db(subs.update_profile, ctx.store, sub_id, profile, now=ctx.now())
    if tracking_choice:
        choice = Consent(
            at=ctx.now(),
            source="web",
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", "")[:500],
            text_version=tracking_consent.TRACKING_CONSENT_VERSION,
        )
        agreed = bool(values["tracking_consent"])
        await ctx.db(tracking_consent.set_tracking_consent, ctx.store, sub_id, agreed=agreed, consent=choice)
    log.info("preferences saved", extra={"subscriber_id": sub_id})
    return RedirectResponse(request.url.path + "?saved=1", status_code=303)


# Unsubscribe -------------------------------------------------------------------------


@_linked("unsubscribe")
async def unsubscribe_page(request: Request, ctx: WebContext, sub: Subscriber, sub_id: int) -> Response:
    """GET /unsubscribe/{token}: a confirm button, and the gentler preferences option."""
    if sub.status in SUPPRESSED_STATUSES:
        return _gone(ctx, request, sub)
    return ctx.render(
        request,
        "unsubscribe.html",
        language=sub.language,
        subscriber=sub,
        action=request.url.path,
        preferences_url=preferences_path(ctx, request, sub_id),
    )


async def unsubscribe(request: Request) -> Response:
    """POST /unsubscribe/{token}: the page's button (with CSRF), or the RFC 8058
    one-click POST (body ``List-Unsubscribe=One-Click``, no cookies): 200, no redirect."""
    ctx = context_of(request)
    # The token first: a request with a forged one is answered before its body is read.
    try:
        subscriber_id = ctx.tokens.check("unsubscribe", request.path_params["token"], now=ctx.now())
    except TokenError:
        # The same check again, for the page that names what is wrong with the token.
        page = await subscriber_from_token(ctx, request, "unsubscribe")
        assert isinstance(page, Response)
        return page
    form = await read_form(request)
    one_click = form_text(form, "List-Unsubscribe") == "One-Click"
    if one_click:
        # Erased on request (NotFoundError): not on the list, which is what was asked.
        with contextlib.suppress(NotFoundError):
            await ctx.db(subs.unsubscribe, ctx.store, subscriber_id, now=ctx.now(), source="one-click")
        log.info("unsubscribed (one-click)", extra={"subscriber_id": subscriber_id})
        sub = await ctx.db(subs.get, ctx.store, subscriber_id)
        language = i18n.language_for(sub.language if sub else None, default=ctx.settings.newsletter.language)
        text = i18n.gettext(language, "You are unsubscribed %(from_newsletter)s.", **ctx.name_phrases(language))
        return PlainTextResponse(text + "\n", headers={"Cache-Control": "no-store", "X-Robots-Tag": NOINDEX})
    found = await subscriber_from_token(ctx, request, "unsubscribe")
    if isinstance(found, Response):
        return found
    sub, sub_id = found
    if refused := await refuse_stale_form(ctx, request, form, sub.language):
        return refused
    await ctx.db(subs.unsubscribe, ctx.store, sub_id, now=ctx.now(), source="link")
    log.info("unsubscribed", extra={"subscriber_id": sub_id})
    # post/redirect/get: the GET of the same link now shows "you're unsubscribed"
    return RedirectResponse(request.url.path, status_code=303)
