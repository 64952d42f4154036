"""/admin/editions: the editor's desk.

Per date and language: the status, the outline with each story's position, the email
preview per topic variant (a sandboxed iframe), story edits (headline, summary, drop,
restore: stored beside the original, see :mod:`digest.store.desk`), rebuild, test
send (the same path as ``digest send --to``) and approve. Story edits and rebuilds are
refused once the edition's first delivery exists.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digest.admins import Role
from digest.errors import DigestError, ValidationError
from digest.language_model.desk import rewrites_of_items
from digest.mail.compose import EditionComposer
from digest.models import Edition, Subscriber
from digest.store import archive as archive_store
from digest.store import audit
from digest.store import desk as review_store
from digest.store.editions import EditionLockedError, editions_for_date, original_items
from digest.subscribers import membership as subs
from digest.web.admin.core import ActionHandler, Principal, action, gettext, page, redirect, render, text
from digest.web.admin.dashboard import edition_lines
from digest.web.context import WebContext, context_of

log = logging.getLogger(__name__)

MAX_TEST_ADDRESSES = 10
# The preview frame holds an email: its own inline styles and remote images, no script,
# framed only by the console.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _day(request: Request) -> date | None:
    try:
        return date.fromisoformat(request.path_params["day"])
    except ValueError:
        return None


@page
async def edition_list(request: Request, who: Principal) -> Response:
    """GET /admin/editions: the latest editions, newest first."""
    ctx = context_of(request)
    editions = await ctx.db(archive_store.recent_editions, ctx.store, limit=90)
    approved = await ctx.db(review_store.approvals, ctx.store, [e.id for e in editions if e.id is not None])
    return render(request, "editions.html", who, editions=editions, approved=approved)


def _desk(ctx: WebContext, day: date) -> list[dict[str, Any]]:
    now = ctx.now()
    out = []
    for line in edition_lines(ctx.settings, ctx.store, day, now):
        edition_id = line.edition.id
        assert edition_id is not None
        edits = review_store.edits(ctx.store, edition_id)
        items = original_items(ctx.store, edition_id)
        rewrites = rewrites_of_items(ctx.store, ctx.settings, items, language=line.edition.language)
        stories = [
            {"item": item, "edit": edits.get(item.position), "rewrite": rewrites.get(item.position)} for item in items
        ]
        categories = list(dict.fromkeys(item.category for item in line.edition.items if item.category))
        out.append({"line": line, "stories": stories, "categories": categories})
    return out


@page
async def edition_page(request: Request, who: Principal) -> Response:
    """GET /admin/editions/{day}: every language's desk; ?topic= picks the preview variant."""
    ctx = context_of(request)
    day = _day(request)
    if day is None:
        return render(request, "refused.html", who, status_code=404, reason=gettext(request, "No such date."))
    desks = await ctx.db(_desk, ctx, day)
    return render(
        request,
        "edition.html",
        who,
        day=day,
        desks=desks,
        topic=request.query_params.get("topic", ""),
        max_addresses=MAX_TEST_ADDRESSES,
    )


def _composer(request: Request, ctx: WebContext) -> EditionComposer:
    console = request.app.state.console
    composer: EditionComposer | None = getattr(console, "composer", None)
    if composer is None:
        composer = EditionComposer.from_settings(ctx.settings, ctx.links)
        console.composer = composer
    return composer


def _find(ctx: WebContext, day: date, language: str) -> Edition | None:
    return next((e for e in editions_for_date(ctx.store, ctx.newsletter, day) if e.language == language), None)


@page
async def preview(request: Request, who: Principal) -> Response:
    """GET /admin/editions/{day}/{language}/preview?topic=: the email's HTML as a
    reader of that topic (all topics without one) gets it, edits included."""
    ctx = context_of(request)
    day, language = _day(request), request.path_params["language"]
    edition = None if day is None else await ctx.db(_find, ctx, day, language)
    if edition is None:
        return HTMLResponse("not found", status_code=404)
    topic = request.query_params.get("topic", "")
    reader = Subscriber(email="reader@example.org", id=0, language=language, topics=(topic,) if topic else ())
    composer = _composer(request, ctx)
    message = await ctx.db(composer.compose, edition, reader, delivery_id=None, now=ctx.now())
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    body = parsed.get_body(("html",))
    html = body.get_content() if body is not None else ""
    return HTMLResponse(
        html,
        headers={"Content-Security-Policy": PREVIEW_CSP, "X-Frame-Options": "SAMEORIGIN", "Cache-Control": "no-store"},
    )


EditionAction = Callable[[Request, Principal, FormData, Edition, int], Awaitable[Response]]


def _on_edition(handler: EditionAction) -> ActionHandler:
    """A desk action on the stored edition the path names: ``handler`` gets it and its
    id; a path naming none is answered with a redirect to the list."""

    async def wrapped(request: Request, who: Principal, form: FormData) -> Response:
        ctx = context_of(request)
        day, language = _day(request), request.path_params["language"]
        edition = None if day is None else await ctx.db(_find, ctx, day, language)
        if edition is None or edition.id is None:
            return redirect(request, "/admin/editions", gettext(request, "No such edition."), kind="error")
        return await handler(request, who, form, edition, edition.id)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


async def _audit(ctx: WebContext, who: Principal, edition: Edition, action: str) -> None:
    """Record an action on the whole edition, naming its date and language."""
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action=action,
        target=f"edition:{edition.id}",
        details={"date": edition.edition_date.isoformat(), "language": edition.language},
        now=ctx.now(),
    )


def _back(edition: Edition) -> str:
    return f"/admin/editions/{edition.edition_date.isoformat()}#lang-{edition.language}"


@action(Role.EDITOR)
@_on_edition
async def edit_item(request: Request, who: Principal, form: FormData, edition: Edition, edition_id: int) -> Response:
    """POST /admin/editions/{day}/{language}/items/{position}: ``op`` save (headline,
    summary), drop or restore."""
    ctx = context_of(request)
    position = int(request.path_params["position"])
    op = text(form, "op")
    current = (await ctx.db(review_store.edits, ctx.store, edition_id)).get(position)
    headline = current.headline if current else None
    summary = current.summary if current else None
    dropped = current.dropped if current else False
    if op == "save":
        headline, summary = text(form, "headline", 1000).strip(), text(form, "summary", 5000).strip()
        if not headline:
            return redirect(request, _back(edition), gettext(request, "A story needs a headline."), kind="error")
    elif op in ("drop", "restore"):
        dropped = op == "drop"
    else:
        return redirect(request, _back(edition), gettext(request, "Unknown action."), kind="error")
    try:
        await ctx.db(
            review_store.save_edit,
            ctx.store,
            edition_id,
            position,
            headline=headline,
            summary=summary,
            dropped=dropped,
            by=who.email,
            now=ctx.now(),
        )
    except DigestError as exc:
        return redirect(request, _back(edition), str(exc), kind="error")
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action=f"edition.item.{op}",
        target=f"edition:{edition_id}:{position}",
        details={"headline": headline, "summary": summary, "dropped": dropped},
        now=ctx.now(),
    )
    return redirect(request, _back(edition), gettext(request, "Story %(n)s saved.", n=position + 1))


@action(Role.EDITOR)
@_on_edition
async def approve(request: Request, who: Principal, form: FormData, edition: Edition, edition_id: int) -> Response:
    """POST /admin/editions/{day}/{language}/approve."""
    ctx = context_of(request)
    await ctx.db(review_store.approve, ctx.store, edition_id, by=who.email, now=ctx.now())
    await _audit(ctx, who, edition, "edition.approve")
    return redirect(request, _back(edition), gettext(request, "Edition approved."))


@action(Role.EDITOR)
@_on_edition
async def rebuild(request: Request, who: Principal, form: FormData, edition: Edition, edition_id: int) -> Response:
    """POST /admin/editions/{day}/{language}/rebuild: while no delivery has started."""
    from digest.daily.build import build_editions

    ctx = context_of(request)
    try:
        await ctx.db(
            build_editions,
            ctx.store,
            ctx.settings,
            edition_date=edition.edition_date,
            now=ctx.now(),
            languages=[edition.language],
            rebuild=True,
        )
    except (EditionLockedError, DigestError) as exc:
        return redirect(request, _back(edition), str(exc), kind="error")
    await _audit(ctx, who, edition, "edition.rebuild")
    return redirect(request, _back(edition), gettext(request, "Edition rebuilt."))


def parse_addresses(raw: str) -> list[str]:
    """Up to 10 distinct addresses from a comma, space or line separated field."""
    parts = [p for p in re.split(r"[\s,;]+", raw) if p]
    if not parts:
        raise ValidationError("to: give at least one address")
    addresses = list(dict.fromkeys(subs.normalise_address(p) for p in parts))
    if len(addresses) > MAX_TEST_ADDRESSES:
        raise ValidationError(f"to: at most {MAX_TEST_ADDRESSES} addresses")
    return addresses


@action(Role.EDITOR)
@_on_edition
async def test_send(request: Request, who: Principal, form: FormData, edition: Edition, edition_id: int) -> Response:
    """POST /admin/editions/{day}/{language}/test-send: field ``to``, up to 10 addresses;
    only they get mail (the proof path of ``digest send --to``)."""
    ctx = context_of(request)
    try:
        addresses = parse_addresses(text(form, "to", 4000))
    except ValidationError as exc:
        return redirect(request, _back(edition), str(exc), kind="error")
    if ctx.proof_sender is None:
        return redirect(
            request, _back(edition), gettext(request, "Test sending is not available in this process."), kind="error"
        )
    results = await ctx.proof_sender(edition_id, addresses)
    await ctx.db(
        audit.record,
        ctx.store,
        actor=who.email,
        action="edition.test_send",
        target=f"edition:{edition_id}",
        details={"to": addresses, "results": dict(results)},
        now=ctx.now(),
    )
    failed = {a: r for a, r in results.items() if r != "sent"}
    if failed:
        detail = "; ".join(f"{a}: {r}" for a, r in failed.items())
        return redirect(
            request, _back(edition), gettext(request, "Not sent to: %(detail)s", detail=detail), kind="error"
        )
    return redirect(request, _back(edition), gettext(request, "Test copy sent to %(to)s.", to=", ".join(addresses)))
