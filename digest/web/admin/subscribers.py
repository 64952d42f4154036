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
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from digest import i18n
from digest.admins import Role
from digest.errors import DigestError
from digest.models import Subscriber, SubscriberStatus
from digest.store import audit
from digest.store import listings as console_store
from digest.store import subscribers as db
from digest.subscribers import csv_file as subs_csv
from digest.subscribers import membership as subs
from digest.web.admin.core import MAX_UPLOAD_BYTES, Principal, action, gettext, page, redirect, render, text
from digest.web.context import WebContext, context_of
from digest.web.subscribe import send_confirmation

log = logging.getLogger(__name__)

PAGE_SIZE = 50


def _query(request: Request) -> console_store.SubscriberQuery:
    p = request.query_params
    status = p.get("status", "")
    language = p.get("language", "")
    sort = p.get("sort", "created")
    return console_store.SubscriberQuery(
        text=p.get("q", "").strip()[:200],
        status=status if status in {s.value for s in SubscriberStatus} else "",
        language=language if language in i18n.languages() else "",
        topic=p.get("topic", "").strip()[:100],
        sort=sort if sort in console_store.SUBSCRIBER_SORTS else "created",
        descending=p.get("dir", "desc") != "asc",
    )


def _offset(request: Request) -> int:
    try:
        return max(0, min(int(request.query_params.get("offset", "0")), 10**9))
    except ValueError:
        return 0


@page
async def subscriber_list(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers: ?q=, status, language, topic, sort, dir, offset."""
    ctx = context_of(request)
    q, offset = _query(request), _offset(request)
    rows, total = await ctx.db(console_store.find_subscribers, ctx.store, q, limit=PAGE_SIZE, offset=offset)
    topics = await ctx.db(subs.known_topics, ctx.settings, ctx.store)
    filters = {"q": q.text, "status": q.status, "language": q.language, "topic": q.topic}
    base = "?" + urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "subscribers.html",
        who,
        rows=rows,
        total=total,
        offset=offset,
        limit=PAGE_SIZE,
        q=q,
        topics=[(t, t) for t in topics],
        base=base,
        sort_base=base,
        page_base=base + "&" + urlencode({"sort": q.sort, "dir": "desc" if q.descending else "asc"}),
    )


async def _subscriber(ctx: WebContext, request: Request) -> Subscriber | None:
    sub = await ctx.db(db.get, ctx.store, int(request.path_params["subscriber_id"]))
    return sub


@page
async def subscriber_page(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers/{id}: profile, consent record, delivery history, actions."""
    ctx = context_of(request)
    sub = await _subscriber(ctx, request)
    if sub is None or sub.id is None:
        return render(request, "refused.html", who, status_code=404, reason=gettext(request, "No such subscriber."))
    history = await ctx.db(console_store.delivery_history, ctx.store, sub.id)
    return render(
        request, "subscriber.html", who, sub=sub, history=history, languages=[(c, c) for c in i18n.languages()]
    )


async def _act(
    request: Request, who: Principal, name: str, fn: Callable[..., object], *args: object, **kwargs: object
) -> Response:
    """Run a subscriber change, audit it, and come back to the subscriber's page."""
    ctx = context_of(request)
    subscriber_id = int(request.path_params["subscriber_id"])
    back = f"/admin/subscribers/{subscriber_id}"
    try:
        await ctx.db(fn, *args, **kwargs)
    except DigestError as exc:
        return redirect(request, back, str(exc), kind="error")
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action=f"subscriber.{name}",
        target=f"subscriber:{subscriber_id}",
        now=ctx.now(),
    )
    return redirect(request, back, gettext(request, "Saved."))


@action(Role.EDITOR)
async def edit_subscriber(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/edit: name, language, topics, timezone, send_at."""
    ctx = context_of(request)
    subscriber_id = int(request.path_params["subscriber_id"])
    known = await ctx.db(subs.known_topics, ctx.settings, ctx.store)
    try:
        profile, _warnings = subs.check_profile(
            ctx.settings,
            known,
            name=text(form, "name", 200),
            language=text(form, "language", 10),
            topics=text(form, "topics", 2000).replace(",", ";"),
            timezone=text(form, "timezone", 64),
            send_at=text(form, "send_at", 5) or None,
        )
    except DigestError as exc:
        return redirect(request, f"/admin/subscribers/{subscriber_id}", str(exc), kind="error")
    return await _act(request, who, "edit", subs.update_profile, ctx.store, subscriber_id, profile, now=ctx.now())


@action(Role.EDITOR)
async def unsubscribe_subscriber(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/unsubscribe."""
    ctx = context_of(request)
    subscriber_id = int(request.path_params["subscriber_id"])
    return await _act(
        request, who, "unsubscribe", subs.unsubscribe, ctx.store, subscriber_id, now=ctx.now(), source="admin"
    )


@action(Role.EDITOR)
async def forget_subscriber(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/forget: erase the personal data (kept suppressed)."""
    ctx = context_of(request)
    subscriber_id = int(request.path_params["subscriber_id"])
    return await _act(request, who, "forget", subs.forget, ctx.store, subscriber_id, now=ctx.now())


@action(Role.EDITOR)
async def resend_confirmation(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/{id}/resend-confirmation: a pending subscriber's double opt-in mail again."""
    ctx = context_of(request)
    sub = await _subscriber(ctx, request)
    back = f"/admin/subscribers/{request.path_params['subscriber_id']}"
    if sub is None or sub.status is not SubscriberStatus.PENDING:
        return redirect(
            request, back, gettext(request, "Only a pending subscriber gets a confirmation mail."), kind="error"
        )
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action="subscriber.resend_confirmation",
        target=f"subscriber:{sub.id}",
        now=ctx.now(),
    )
    response = redirect(request, back, gettext(request, "Confirmation mail sent."))
    response.background = BackgroundTask(send_confirmation, ctx, sub)
    return response


@page
async def import_form(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers/import: the upload form."""
    return render(request, "import.html", who, report=None)


@action(Role.EDITOR)
async def import_upload(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/import: field ``file`` (CSV, UTF-8) and ``confirmed``; the report."""
    ctx = context_of(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return redirect(request, "/admin/subscribers/import", gettext(request, "Choose a CSV file."), kind="error")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return redirect(
            request, "/admin/subscribers/import", gettext(request, "The file is larger than 20 MB."), kind="error"
        )
    confirmed = text(form, "confirmed") == "yes"
    name = upload.filename or "upload.csv"
    try:
        report = await ctx.db(
            subs_csv.import_bytes, ctx.store, ctx.settings, data, name=name, confirmed=confirmed, now=ctx.now()
        )
    except DigestError as exc:
        return render(request, "import.html", who, status_code=400, report=None, failure=str(exc))
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action="subscriber.import",
        target=name[:200],
        details={
            "added": report.added,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
            "confirmed": confirmed,
        },
        now=ctx.now(),
    )
    pending = [s for s in report.new if s.status is SubscriberStatus.PENDING]
    response = render(request, "import.html", who, report=report, name=name)
    if pending:
        response.background = BackgroundTask(_confirm_all, ctx, pending)
    return response


async def _confirm_all(ctx: WebContext, pending: list[Subscriber]) -> None:
    for sub in pending:
        await send_confirmation(ctx, sub)


@page
async def export(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers/export: every subscriber (but erased ones) as re-importable CSV."""
    ctx = context_of(request)
    out = io.StringIO()
    await ctx.db(subs_csv.export_csv, ctx.store, out)
    await ctx.db(audit.record, ctx.store, actor=who.email, action="subscriber.export", now=ctx.now())
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="subscribers.csv"', "Cache-Control": "no-store"},
    )
