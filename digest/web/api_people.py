"""The admin API's people and sources: the list as CSV, the suppression list, resending
a confirmation mail, feeds and console accounts.

Same bearer token and error shapes as :mod:`digest.web.api`; every change is one call
of :mod:`digest.actions` as the caller (:func:`~digest.web.api.api_actor`), audited
under the action's one name, as from the CLI and the console.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest.actions import admins, feeds, suppressions
from digest.actions import subscribers as subscriber_actions
from digest.admins import Admin, Role, parse_role
from digest.errors import NotFoundError, ValidationError
from digest.models import Feed
from digest.web import api_bulk
from digest.web.api import acts, admin, api_actor, error, int_param, json_object, text_field
from digest.web.api_keys import routes as key_routes
from digest.web.context import context_of
from digest.web.subscribe import send_confirmation


def as_json(row: Any) -> dict[str, Any]:
    """A flat dataclass row as a JSON object: every field, dates and times in ISO 8601."""
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    return {name: v.isoformat() if isinstance(v, date) else v for name, v in values.items()}


def _only(body: dict[str, Any], *allowed: str) -> None:
    unknown = set(body) - set(allowed)
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: unknown field")


# The list as CSV ------------------------------------------------------------------------


@admin
@acts
async def import_subscribers(request: Request) -> Response:
    """Import a CSV body (text/csv, UTF-8); ?confirmed=true marks rows confirmed. The
    report lists every rejected row with its line; the valid rows are imported."""
    ctx = context_of(request)
    chunks: list[bytes] = []
    async for chunk in request.stream():  # capped by digest.web.middleware.BodyLimit
        chunks.append(chunk)
    confirmed = request.query_params.get("confirmed", "").lower() in ("1", "true", "yes")
    report = await ctx.db(
        subscriber_actions.import_csv,
        ctx.operations(),
        api_actor(request),
        b"".join(chunks),
        name="upload.csv",
        confirmed=confirmed,
    )
    pending = subscriber_actions.pending_of(report.new)
    # Each pending row gets its own mail; one that fails does not stop the others, and
    # the answer counts what the SMTP server actually accepted.
    sent = sum([await send_confirmation(ctx, sub) for sub in pending])
    return JSONResponse(
        {
            "ok": report.ok,
            "added": report.added,
            "unchanged": report.unchanged,
            "rejected": [{"line": r.line, "reason": r.message} for r in report.rejected],
            "warnings": [{"line": w.line, "warning": w.message} for w in report.warnings],
            "confirmations_queued": sent,  # accepted by the SMTP server
            "confirmations_failed": len(pending) - sent,
        }
    )


@admin
@acts
async def export_subscribers(request: Request) -> Response:
    """Every subscriber (but erased ones) as CSV, re-importable."""
    ctx = context_of(request)
    out = io.StringIO()
    await ctx.db(subscriber_actions.export_csv, ctx.operations(), api_actor(request), out)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="subscribers.csv"', "Cache-Control": "no-store"},
    )


# Suppressions and confirmations --------------------------------------------------------


@admin
@acts
async def list_suppressions(request: Request) -> Response:
    """The suppression list, newest first; ?address= finds one address's entry."""
    ctx = context_of(request)
    limit, offset = int_param(request, "limit", 50, 1, 500), int_param(request, "offset", 0, 0, 10**9)
    address = request.query_params.get("address", "").strip()
    rows, total = await ctx.db(suppressions.suppressions, ctx.operations(), address=address, limit=limit, offset=offset)
    return JSONResponse({"total": total, "items": [as_json(s) for s in rows]})


@admin
@acts
async def add_suppression(request: Request) -> Response:
    """Suppress an address by hand: ``{"email": ..., "detail": ...}``; 201 when added, 200 when it already was."""
    ctx = context_of(request)
    body = await json_object(request)
    _only(body, "email", "detail")
    email = text_field(body, "email")
    if not email:
        raise ValidationError("email: required")
    added = await ctx.db(
        suppressions.suppress, ctx.operations(), api_actor(request), email, detail=text_field(body, "detail") or ""
    )
    return JSONResponse({"suppressed": True, "added": added}, status_code=201 if added else 200)


@admin
@acts
async def delete_suppression(request: Request) -> Response:
    """Remove an address from the suppression list: ?address= (or ?id=)."""
    ctx = context_of(request)
    address = request.query_params.get("address", "").strip()
    raw_id = request.query_params.get("id", "")
    if address:
        removed = await ctx.db(suppressions.remove_suppression, ctx.operations(), api_actor(request), address=address)
    elif raw_id.isdigit():
        removed = await ctx.db(
            suppressions.remove_suppression, ctx.operations(), api_actor(request), suppression_id=int(raw_id)
        )
    else:
        raise ValidationError("address: give ?address= or ?id=")
    return JSONResponse({"removed": removed.id, "reason": removed.reason})


@admin
@acts
async def resend_confirmation(request: Request) -> Response:
    """Send a pending subscriber's confirmation mail again (202); 409 for any other status."""
    ctx = context_of(request)
    subscriber_id: int = request.path_params["subscriber_id"]
    sub = await ctx.db(subscriber_actions.resend_confirmation, ctx.operations(), api_actor(request), subscriber_id)
    return JSONResponse(
        {"id": subscriber_id, "confirmation": "queued"},
        status_code=202,
        background=BackgroundTask(send_confirmation, ctx, sub),
    )


@admin
@acts
async def reconfirm(request: Request) -> Response:
    """Lift a suppression our relay or bounces caused and put the subscriber back on
    the list; ``reason`` (required) goes in the audit log. 422 for any other cause."""
    from digest.actions.reconfirm import reconfirm as lift

    ctx = context_of(request)
    subscriber_id: int = request.path_params["subscriber_id"]
    body = await json_object(request)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason: say why the suppression is lifted (it goes in the audit log)")
    ops = ctx.operations()
    sub = await ctx.db(subscriber_actions.get, ops, subscriber_id)
    if sub is None or not sub.email:
        raise NotFoundError(f"no subscriber {subscriber_id}")
    lifted = await ctx.db(lift, ops, api_actor(request), sub.email, reason=reason)
    return JSONResponse({"id": subscriber_id, "lifted": lifted.reason, "cause": lifted.cause})


# Feeds -----------------------------------------------------------------------------------


def _feed(feed: Feed) -> dict[str, Any]:
    return as_json(feed)


@admin
@acts
async def list_feeds(request: Request) -> Response:
    """Every registered feed with its last poll."""
    ctx = context_of(request)
    rows = await ctx.db(feeds.feeds, ctx.operations(), active_only=False)
    return JSONResponse({"items": [_feed(f) for f in rows]})


@admin
@acts
async def add_feed(request: Request) -> Response:
    """Register a feed: ``{"url", "category", "language"}``; 201 when new, 200 when its options were updated."""
    ctx = context_of(request)
    body = await json_object(request)
    _only(body, "url", "category", "language")
    url = text_field(body, "url")
    if not url:
        raise ValidationError("url: required")
    feed, created = await ctx.db(
        feeds.add, ctx.operations(), api_actor(request), url, category=text_field(body, "category"),
        language=text_field(body, "language"),
    )  # fmt: skip
    return JSONResponse({"feed": _feed(feed), "created": created}, status_code=201 if created else 200)


@admin
@acts
async def remove_feed(request: Request) -> Response:
    """Stop polling a feed (its articles stay): ?url=."""
    ctx = context_of(request)
    url = request.query_params.get("url", "").strip()
    if not url:
        raise ValidationError("url: give ?url=")
    removed = await ctx.db(feeds.remove, ctx.operations(), api_actor(request), url)
    return JSONResponse({"removed": removed})


@admin
@acts
async def poll_feeds(request: Request) -> Response:
    """Poll every feed now; each feed's status and the totals."""
    ctx = context_of(request)
    report = await ctx.db(feeds.poll, ctx.operations(), api_actor(request))
    return JSONResponse(
        {
            "feeds": [
                {"url": p.url, "status": p.status, "error": p.error, "summary": p.report.summary()}
                for p in report.feeds
            ],
            "failed": len(report.errors),
            "summary": report.totals.summary(),
        }
    )


# Console accounts -----------------------------------------------------------------------


def _admin(account: Admin) -> dict[str, Any]:
    return as_json(account)


@admin
@acts
async def list_admins(request: Request) -> Response:
    """Every console account (never a password hash); owners only, as on /admin/admins."""
    ctx = context_of(request)
    if not api_actor(request).role.allows(Role.OWNER):
        return error(403, "admins: only an owner lists the admin accounts")
    rows = await ctx.db(admins.accounts, ctx.operations())
    return JSONResponse({"items": [_admin(a) for a in rows]})


@admin
@acts
async def add_admin(request: Request) -> Response:
    """Create an account: ``{"email", "role", "password"}`` (201)."""
    ctx = context_of(request)
    body = await json_object(request)
    _only(body, "email", "role", "password")
    email, role, password = (text_field(body, k) or "" for k in ("email", "role", "password"))
    if not email:
        raise ValidationError("email: required")
    account = await ctx.db(admins.add, ctx.operations(), api_actor(request), email, parse_role(role), password)
    return JSONResponse({"admin": _admin(account)}, status_code=201)


@admin
@acts
async def update_admin(request: Request) -> Response:
    """Change an account's ``role`` and/or ``password``."""
    ctx = context_of(request)
    email: str = request.path_params["email"]
    body = await json_object(request)
    _only(body, "role", "password")
    role, password = text_field(body, "role"), text_field(body, "password")
    if role is None and password is None:
        raise ValidationError("role: give a role and/or a password")
    if await ctx.db(admins.account, ctx.operations(), email) is None:
        raise NotFoundError(f"no admin {email}")
    if role is not None:
        await ctx.db(admins.set_role, ctx.operations(), api_actor(request), email, parse_role(role))
    if password is not None:
        await ctx.db(admins.set_password, ctx.operations(), api_actor(request), email, password)
    account = await ctx.db(admins.account, ctx.operations(), email)
    assert account is not None
    return JSONResponse({"admin": _admin(account)})


@admin
@acts
async def delete_admin(request: Request) -> Response:
    """Delete an account."""
    ctx = context_of(request)
    email: str = request.path_params["email"]
    await ctx.db(admins.remove, ctx.operations(), api_actor(request), email)
    return JSONResponse({"removed": email})


routes = [
    Route("/subscribers/import", import_subscribers, methods=["POST"]),
    *api_bulk.routes,
    Route("/subscribers/export", export_subscribers, methods=["GET"]),
    Route("/suppressions", list_suppressions, methods=["GET"]),
    Route("/suppressions", add_suppression, methods=["POST"]),
    Route("/suppressions", delete_suppression, methods=["DELETE"]),
    Route("/subscribers/{subscriber_id:int}/resend-confirmation", resend_confirmation, methods=["POST"]),
    Route("/subscribers/{subscriber_id:int}/reconfirm", reconfirm, methods=["POST"]),
    Route("/feeds", list_feeds, methods=["GET"]),
    Route("/feeds", add_feed, methods=["POST"]),
    Route("/feeds", remove_feed, methods=["DELETE"]),
    Route("/feeds/poll", poll_feeds, methods=["POST"]),
    Route("/admins", list_admins, methods=["GET"]),
    Route("/admins", add_admin, methods=["POST"]),
    Route("/admins/{email}", update_admin, methods=["PATCH"]),
    Route("/admins/{email}", delete_admin, methods=["DELETE"]),
    *key_routes,
]
