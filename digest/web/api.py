"""The admin HTTP API under /api: JSON, behind a bearer token ([web] admin_token_env).

Subscribers: list/search, add, read, update, remove (or erase), CSV import and export;
editions and deliveries: :mod:`digest.web.api_desk`. The OpenAPI description is served at
/api/openapi.json (see :mod:`digest.web.openapi`). Errors are ``{"error": ..., "field":
...}`` with 400 (malformed request), 401, 404, 409 (conflict with the list's state), 422
(invalid value) or 501 (test send not available in this process).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest.actions import Actor, Door, Forbidden, api_keys
from digest.actions import editions as desk
from digest.actions import subscribers as actions
from digest.admins import Role
from digest.errors import DigestError, EditionLocked, NotFoundError, SourceError, ValidationError
from digest.models import Subscriber, SubscriberStatus
from digest.subscribers import membership as subs
from digest.web.context import WebContext, context_of
from digest.web.openapi import spec
from digest.web.subscribe import send_confirmation

log = logging.getLogger(__name__)

#: The CSV upload, the one path with a larger body cap ([web] max_upload_kb).
IMPORT_PATH = "/api/subscribers/import"
PROFILE_FIELDS = ("name", "language", "topics", "timezone", "send_at")

Handler = Callable[[Request], Awaitable[Response]]

#: The shared bearer token acts as an owner, through the API door.
API_ACTOR = Actor("api", Role.OWNER, Door.API)


class BadRequest(DigestError):
    """The request itself is malformed (not JSON, wrong type...)."""


def error(status_code: int, message: str, *, field: str | None = None, **extra: Any) -> JSONResponse:
    """A JSON error body."""
    body: dict[str, Any] = {"error": message}
    if field:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status_code)


def _field_of(message: str) -> str | None:
    head, sep, _ = message.partition(": ")
    return head if sep and head.replace("_", "").isalpha() else None


def admin(handler: Handler) -> Handler:
    """Require ``Authorization: Bearer <token or API key>``; map package errors to JSON.

    The shared token ([web] admin_token_env) acts as :data:`API_ACTOR`, an owner; an
    admin's API key (:mod:`digest.actions.api_keys`) acts as that admin with the key's
    role. Either way the actor is kept for the handler (:func:`api_actor`)."""

    async def wrapped(request: Request) -> Response:
        ctx = context_of(request)
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        token = token.strip()
        expected = ctx.admin_token
        actor: Actor | None = None
        if scheme.lower() == "bearer" and token:
            if expected and hmac.compare_digest(token.encode(), expected.encode()):
                actor = API_ACTOR
            else:
                actor = await ctx.db(api_keys.authenticate, ctx.operations(), token)
        if actor is None:
            message = (
                "missing or wrong bearer token"
                if expected
                else "missing or wrong bearer token; no admin token configured, only an API key opens the API"
            )
            denied = error(401, message)
            denied.headers["WWW-Authenticate"] = 'Bearer realm="digest"'
            return denied
        request.state.actor = actor
        try:
            response = await handler(request)
        except BadRequest as exc:
            return error(400, str(exc))
        except ValidationError as exc:
            return error(422, str(exc), field=_field_of(str(exc)))
        except SourceError as exc:
            return error(422, str(exc))
        except NotFoundError as exc:
            return error(404, str(exc))
        except subs.SuppressedAddress as exc:
            return error(409, str(exc), suppressed=True)
        except (subs.AlreadySubscribed, subs.StateError) as exc:
            return error(409, str(exc))
        except desk.RebuildWouldLose as exc:
            return error(
                409, str(exc), unkept=[{"what": u.what, "headline": u.headline, "url": u.url} for u in exc.unkept]
            )
        except EditionLocked as exc:
            return error(409, str(exc))
        except Forbidden as exc:
            return error(403, str(exc))
        return response

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    # Every change is one call to digest.actions, which audits it under its one name:
    # tests/test_web_api.py checks each changing route is marked by :func:`acts`.
    wrapped.acts = getattr(handler, "acts", False)  # type: ignore[attr-defined]
    return wrapped


def api_actor(request: Request) -> Actor:
    """Who the request acts as (set by :func:`admin`): the shared token's owner or an
    admin through one of their keys."""
    actor: Actor = request.state.actor
    return actor


def acts(handler: Handler) -> Handler:
    """Mark a handler that changes things through :mod:`digest.actions` (the action
    audits itself under its one name, whichever door called it)."""
    handler.acts = True  # type: ignore[attr-defined]
    return handler


async def json_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object (BadRequest otherwise)."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body: expected a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    return body


def text_field(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key}: expected a string")
    return value


def _flag(body: dict[str, Any], key: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{key}: expected true or false")
    return value


def _topics(body: dict[str, Any]) -> str | list[str] | None:
    value = body.get("topics")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValidationError("topics: expected a list of strings or a ';'-separated string")


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    """The whole number in query parameter ``name``, from ``lo`` to ``hi``; ``default`` without one."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name}: expected an integer") from None
    if not lo <= value <= hi:
        raise ValidationError(f"{name}: expected {lo} to {hi}")
    return value


def _status_param(raw: str | None) -> SubscriberStatus | None:
    if not raw:
        return None
    try:
        return SubscriberStatus(raw)
    except ValueError:
        choices = ", ".join(s.value for s in SubscriberStatus)
        raise ValidationError(f"status: expected one of {choices}") from None


async def _subscriber(ctx: WebContext, request: Request) -> Subscriber:
    subscriber_id: int = request.path_params["subscriber_id"]
    sub = await ctx.db(actions.get, ctx.operations(), subscriber_id)
    if sub is None:
        raise NotFoundError(f"no subscriber {subscriber_id}")
    return sub


# Subscribers -------------------------------------------------------------------------


@admin
@acts
async def list_subscribers(request: Request) -> Response:
    """Subscribers by id; ?status=, ?q= (in address or name), ?limit= (1-500), ?offset=."""
    ctx = context_of(request)
    status = _status_param(request.query_params.get("status"))
    text = request.query_params.get("q") or None
    limit = int_param(request, "limit", 50, 1, 500)
    offset = int_param(request, "offset", 0, 0, 10**9)
    items, total = await ctx.db(actions.search, ctx.operations(), status=status, text=text, limit=limit, offset=offset)
    return JSONResponse(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": [subs.to_dict(actions.shown_to(api_actor(request).role, s)) for s in items],
        }
    )


@admin
@acts
async def create_subscriber(request: Request) -> Response:
    """Add a subscriber; pending ones get the confirmation mail unless told otherwise."""
    ctx = context_of(request)
    body = await json_object(request)
    unknown = set(body) - {*PROFILE_FIELDS, "email", "confirmed", "override_suppression", "send_confirmation"}
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: unknown field")
    email = text_field(body, "email")
    if not email:
        raise ValidationError("email: required")
    confirmed = _flag(body, "confirmed")
    profile, warnings = await ctx.db(
        actions.check_profile, ctx.operations(), name=text_field(body, "name"), language=text_field(body, "language"),
        topics=_topics(body), timezone=text_field(body, "timezone"), send_at=text_field(body, "send_at"),
    )  # fmt: skip
    sub: Subscriber = await ctx.db(
        actions.add, ctx.operations(), api_actor(request), email, profile, confirmed=confirmed,
        override_suppression=_flag(body, "override_suppression"),
    )  # fmt: skip
    log.info("subscriber added (api)", extra={"subscriber_id": sub.id, "status": sub.status.value})
    confirmation = "not needed"
    if sub.status is SubscriberStatus.PENDING:
        confirmation = "not sent"
        # Sent before answering, so that "queued" means the SMTP server accepted it.
        if _flag(body, "send_confirmation", True) and await send_confirmation(ctx, sub):
            confirmation = "queued"
    return JSONResponse(
        {"subscriber": subs.to_dict(sub), "warnings": warnings, "confirmation": confirmation}, status_code=201
    )


@admin
@acts
async def get_subscriber(request: Request) -> Response:
    """One subscriber."""
    ctx = context_of(request)
    return JSONResponse(subs.to_dict(actions.shown_to(api_actor(request).role, await _subscriber(ctx, request))))


@admin
@acts
async def update_subscriber(request: Request) -> Response:
    """Change preferences (name, language, topics, timezone, send_at) and/or the status
    (confirmed, unsubscribed); fields left out keep their value."""
    ctx = context_of(request)
    body = await json_object(request)
    unknown = set(body) - {*PROFILE_FIELDS, "status", "override_suppression"}
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: unknown field")
    sub = await _subscriber(ctx, request)
    subscriber_id = sub.id
    assert subscriber_id is not None
    warnings: list[str] = []
    profile = None
    if any(k in body for k in PROFILE_FIELDS):
        current = subs.to_dict(sub)
        merged = {k: body[k] if k in body else current[k] for k in PROFILE_FIELDS}
        profile, warnings = await ctx.db(
            actions.check_profile, ctx.operations(), name=text_field(merged, "name"),
            language=text_field(merged, "language"), topics=_topics(merged),
            timezone=text_field(merged, "timezone"), send_at=text_field(merged, "send_at"),
        )  # fmt: skip
    status = _status_param(text_field(body, "status"))
    sub = await ctx.db(
        actions.update, ctx.operations(), api_actor(request), subscriber_id, profile=profile, status=status,
        override_suppression=_flag(body, "override_suppression"),
    )  # fmt: skip
    return JSONResponse({"subscriber": subs.to_dict(sub), "warnings": warnings})


@admin
@acts
async def delete_subscriber(request: Request) -> Response:
    """Unsubscribe (suppressed), or with ?forget=true erase the personal data."""
    ctx = context_of(request)
    sub = await _subscriber(ctx, request)
    assert sub.id is not None
    if request.query_params.get("forget", "").lower() in ("1", "true", "yes"):
        await ctx.db(actions.forget, ctx.operations(), api_actor(request), sub.id)
        return JSONResponse({"id": sub.id, "status": SubscriberStatus.FORGOTTEN.value})
    left = await ctx.db(actions.unsubscribe, ctx.operations(), api_actor(request), sub.id)
    return JSONResponse({"id": sub.id, "status": left.status.value})


async def openapi(request: Request) -> Response:
    """The OpenAPI description of this API (public: it holds no data)."""
    return Response(json.dumps(spec(), indent=2), media_type="application/json")


routes = [
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/subscribers", list_subscribers, methods=["GET"]),
    Route("/subscribers", create_subscriber, methods=["POST"]),
    Route("/subscribers/{subscriber_id:int}", get_subscriber, methods=["GET"]),
    Route("/subscribers/{subscriber_id:int}", update_subscriber, methods=["PATCH"]),
    Route("/subscribers/{subscriber_id:int}", delete_subscriber, methods=["DELETE"]),
]
