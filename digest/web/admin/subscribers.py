"""/admin/subscribers: search, one subscriber's page and actions, CSV import and export.

The import runs the very code of ``digest subscribers import``
(:mod:`digest.subscribers.csv_file`): the same rules, the same report, valid rows kept.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest import i18n
from digest.actions import subscribers as actions
from digest.admins import Role
from digest.errors import DigestError
from digest.i18n import N_
from digest.models import SUBSCRIBER_SORTS, Subscriber, SubscriberQuery, SubscriberStatus
from digest.web.admin.core import (
    Principal,
    action,
    gettext,
    page,
    redirect,
    render,
    text,
)
from digest.web.context import WebContext, context_of
from digest.web.subscribe import send_confirmation

log = logging.getLogger(__name__)

PAGE_SIZE = 50


def _query(request: Request) -> SubscriberQuery:
    p = request.query_params
    status = p.get("status", "")
    language = p.get("language", "")
    sort = p.get("sort", "created")
    return SubscriberQuery(
        text=p.get("q", "").strip()[:200],
        status=status if status in {s.value for s in SubscriberStatus} else "",
        language=language if language in i18n.languages() else "",
        topic=p.get("topic", "").strip()[:100],
        sort=sort if sort in SUBSCRIBER_SORTS else "created",
        descending=p.get("dir", "desc") != "asc",
    )


def _offset(request: Request) -> int:
    """?offset=, or ?page= (the pager's "go to page" field, from 1)."""
    p = request.query_params
    try:
        if p.get("page", "").strip():
            return max(0, min(int(p["page"]) - 1, 10**7)) * PAGE_SIZE
        return max(0, min(int(p.get("offset", "0")), 10**9))
    except ValueError:
        return 0


def _sorts(request: Request) -> list[tuple[str, str]]:
    labels = {"created": "Since", "email": "Address", "name": "Name", "status": "Status", "language": "Language"}
    return [(key, gettext(request, labels[key])) for key in SUBSCRIBER_SORTS if key in labels]


def _operations(request: Request, who: Principal) -> list[tuple[str, str]]:
    """The bulk actions ``who`` may choose, in their words."""
    editing = [
        ("unsubscribe", N_("Unsubscribe")),
        ("forget", N_("Forget (erase personal data)")),
        ("add_topic", N_("Add the topic")),
        ("remove_topic", N_("Remove the topic")),
        ("resend_confirmation", N_("Resend the confirmation mail")),
    ]
    chosen = [("export", N_("Export as CSV")), *(editing if who.role.allows(Role.EDITOR) else [])]
    return [(key, gettext(request, label)) for key, label in chosen]


@page
async def subscriber_list(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers: ?q=, status, language, topic, sort, dir, offset (or page)."""
    ctx = context_of(request)
    q, offset = _query(request), _offset(request)
    rows, total = await ctx.db(actions.listing, ctx.operations(), q, limit=PAGE_SIZE, offset=offset)
    if total and offset >= total:  # a page past the last one: show the last
        offset = (total - 1) // PAGE_SIZE * PAGE_SIZE
        rows, total = await ctx.db(actions.listing, ctx.operations(), q, limit=PAGE_SIZE, offset=offset)
    topics = await ctx.db(actions.known_topics, ctx.operations())
    filters = {"q": q.text, "status": q.status, "language": q.language, "topic": q.topic}
    order = {"sort": q.sort, "dir": "desc" if q.descending else "asc"}
    base = "?" + urlencode({k: v for k, v in filters.items() if v})
    sorts = _sorts(request)
    return render(
        request,
        "subscribers.html",
        who,
        rows=[actions.shown_to(who.role, r) for r in rows],
        total=total,
        offset=offset,
        limit=PAGE_SIZE,
        q=q,
        topics=[(t, t) for t in topics],
        filters=filters,
        sorts=sorts,
        sort_label=dict(sorts).get(q.sort, q.sort),
        operations=_operations(request, who),
        base=base,
        sort_base=base,
        page_base=base + "&" + urlencode(order),
        page_params={**filters, **order},
    )


async def _subscriber(ctx: WebContext, request: Request) -> Subscriber | None:
    sub = await ctx.db(actions.get, ctx.operations(), int(request.path_params["subscriber_id"]))
    return sub


@page
async def subscriber_page(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers/{id}: profile, consent record, delivery history, actions."""
    ctx = context_of(request)
    sub = await _subscriber(ctx, request)
    if sub is None or sub.id is None:
        return render(request, "refused.html", who, status_code=404, reason=gettext(request, "No such subscriber."))
    history = await ctx.db(actions.history, ctx.operations(), sub.id)
    return render(
        request,
        "subscriber.html",
        who,
        sub=actions.shown_to(who.role, sub),
        history=history,
        languages=[(c, c) for c in i18n.languages()],
    )


async def _act(request: Request, fn: Callable[..., object], *args: object, **kwargs: object) -> Response:
    """Run one subscriber action and come back to the subscriber's page with what happened."""
    ctx = context_of(request)
    back = f"/admin/subscribers/{request.path_params['subscriber_id']}"
    try:
        await ctx.db(fn, ctx.operations(), *args, **kwargs)
    except DigestError as exc:
        return redirect(request, back, str(exc), kind="error")
    return redirect(request, back, gettext(request, "Saved."))


@action(Role.EDITOR)
async def add_subscriber(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/add: email, name, language, topics, ``confirmed``; a
    pending subscriber gets the confirmation mail."""
    ctx = context_of(request)
    confirmed = text(form, "confirmed") == "yes"
    try:
        profile, _warnings = await ctx.db(
            actions.check_profile,
            ctx.operations(),
            name=text(form, "name", 200),
            language=text(form, "language", 10),
            topics=text(form, "topics", 2000).replace(",", ";"),
        )
        sub = await ctx.db(
            actions.add, ctx.operations(), who.actor, text(form, "email", 320), profile, confirmed=confirmed
        )
    except DigestError as exc:
        return redirect(request, "/admin/subscribers", str(exc), kind="error")
    response = redirect(request, f"/admin/subscribers/{sub.id}", gettext(request, "Subscriber added."))
    if sub.status is SubscriberStatus.PENDING:
        response.background = BackgroundTask(send_confirmation, ctx, sub)
    return response


@action(Role.EDITOR)
async def edit_subscriber(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/edit: name, language, topics, timezone, send_at."""
    ctx = context_of(request)
    subscriber_id = int(request.path_params["subscriber_id"])
    try:
        profile, _warnings = await ctx.db(
            actions.check_profile,
            ctx.operations(),
            name=text(form, "name", 200),
            language=text(form, "language", 10),
            topics=text(form, "topics", 2000).replace(",", ";"),
            timezone=text(form, "timezone", 64),
            send_at=text(form, "send_at", 5) or None,
        )
    except DigestError as exc:
        return redirect(request, f"/admin/subscribers/{subscriber_id}", str(exc), kind="error")
    return await _act(request, actions.update, who.actor, subscriber_id, profile=profile)


@action(Role.EDITOR)
async def unsubscribe_subscriber(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/unsubscribe."""
    return await _act(request, actions.unsubscribe, who.actor, int(request.path_params["subscriber_id"]))


@action(Role.EDITOR)
async def forget_subscriber(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/forget: erase the personal data (kept suppressed)."""
    return await _act(request, actions.forget, who.actor, int(request.path_params["subscriber_id"]))


@action(Role.EDITOR)
async def reconfirm(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/reconfirm: ``reason``; lift a suppression our relay
    or bounces caused (subscriber.reconfirm) and put the subscriber back."""
    from digest.actions.reconfirm import reconfirm as lift

    ctx = context_of(request)
    sub = await _subscriber(ctx, request)
    if sub is None or not sub.email:
        return render(request, "refused.html", who, status_code=404, reason=gettext(request, "No such subscriber."))
    return await _act(request, lift, who.actor, sub.email, reason=text(form, "reason", 500))


@action(Role.EDITOR)
async def resend_confirmation(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/resend-confirmation: a pending subscriber's double opt-in mail again."""
    ctx = context_of(request)
    back = f"/admin/subscribers/{request.path_params['subscriber_id']}"
    try:
        sub = await ctx.db(
            actions.resend_confirmation, ctx.operations(), who.actor, int(request.path_params["subscriber_id"])
        )
    except DigestError:
        return redirect(
            request, back, gettext(request, "Only a pending subscriber gets a confirmation mail."), kind="error"
        )
    response = redirect(request, back, gettext(request, "Confirmation mail sent."))
    response.background = BackgroundTask(send_confirmation, ctx, sub)
    return response


@page
async def export(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers/export: every subscriber (but erased ones) as re-importable CSV."""
    ctx = context_of(request)
    out = io.StringIO()
    await ctx.db(actions.export_csv, ctx.operations(), who.actor, out)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="subscribers.csv"', "Cache-Control": "no-store"},
    )
