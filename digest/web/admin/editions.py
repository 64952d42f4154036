"""/admin/editions: the editor's desk.

Per date and language: the status, the outline in reading order with each story's
position, the email preview per topic variant (a sandboxed iframe), story edits
(headline, summary, drop, restore, revert to the original, pin as the lead, move up or
down, merge two, split one, "Et enfin"), rebuild (which keeps those decisions, or asks first when some cannot be kept),
test send (the same path as ``digest send --to``), approve and withdraw the approval.
Each change is one call to :mod:`digest.actions.editions`, the same the CLI and the
API make; they are refused once the edition's first delivery exists.
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digest.actions import editions as desk
from digest.actions import stories
from digest.admins import Role
from digest.daily.desk import edition_lines
from digest.errors import DigestError
from digest.i18n import N_
from digest.mail.compose import EditionComposer
from digest.models import Edition, Subscriber
from digest.web.admin.core import ActionHandler, Principal, action, day_of, gettext, page, redirect, render, text
from digest.web.context import WebContext, context_of

log = logging.getLogger(__name__)

MAX_TEST_ADDRESSES = desk.MAX_TEST_ADDRESSES
parse_addresses = desk.parse_addresses
# The preview frame holds an email: its own inline styles and remote images, no script,
# framed only by the console.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


@page
async def edition_list(request: Request, who: Principal) -> Response:
    """GET /admin/editions: the latest editions, newest first."""
    ctx = context_of(request)
    ops = ctx.operations()
    editions = await ctx.db(desk.recent, ops, limit=90)
    approved = await ctx.db(desk.approvals, ops, [e.id for e in editions if e.id is not None])
    return render(request, "editions.html", who, editions=editions, approved=approved)


def _desk(ctx: WebContext, day: date) -> list[dict[str, Any]]:
    ops = ctx.operations()
    out = []
    for line in edition_lines(ctx.settings, ctx.store, day, ctx.now()):
        edition_id = line.edition.id
        assert edition_id is not None
        stories = desk.desk_stories(ops, edition_id, line.edition.language)
        categories = list(dict.fromkeys(item.category for item in line.edition.items if item.category))
        out.append({"line": line, "stories": stories, "categories": categories})
    return out


@page
async def edition_page(request: Request, who: Principal) -> Response:
    """GET /admin/editions/{day}: every language's desk; ?topic= picks the preview variant."""
    ctx = context_of(request)
    day = day_of(request)
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


@page
async def preview(request: Request, who: Principal) -> Response:
    """GET /admin/editions/{day}/{language}/preview?topic=: the email's HTML as a
    reader of that topic (all topics without one) gets it, edits included."""
    ctx = context_of(request)
    day, language = day_of(request), request.path_params["language"]
    edition = None if day is None else await ctx.db(desk.find_edition, ctx.operations(), day, language)
    if edition is None:
        return HTMLResponse("not found", status_code=404)
    topic = request.query_params.get("topic", "")
    reader = Subscriber(email="reader@example.org", id=0, language=language, topics=(topic,) if topic else ())
    composer = _composer(request, ctx)
    # Untracked: an editor's look at the preview, or a click in it, is no reader's.
    message = await ctx.db(composer.compose, edition, reader, delivery_id=None, now=ctx.now(), tracked=False)
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    body = parsed.get_body(("html",))
    html = body.get_content() if body is not None else ""
    return HTMLResponse(
        html,
        headers={"Content-Security-Policy": PREVIEW_CSP, "X-Frame-Options": "SAMEORIGIN", "Cache-Control": "no-store"},
    )


EditionAction = Callable[[Request, Principal, FormData, Edition], Awaitable[Response]]


def _on_edition(handler: EditionAction) -> ActionHandler:
    """A desk action on the stored edition the path names: ``handler`` gets it; a path
    naming none is answered with a redirect to the list, and an error the action
    raises (locked, not found, invalid) with a redirect to the desk saying why."""

    async def wrapped(request: Request, who: Principal, form: FormData) -> Response:
        ctx = context_of(request)
        day, language = day_of(request), request.path_params["language"]
        edition = None if day is None else await ctx.db(desk.find_edition, ctx.operations(), day, language)
        if edition is None or edition.id is None:
            return redirect(request, "/admin/editions", gettext(request, "No such edition."), kind="error")
        try:
            return await handler(request, who, form, edition)
        except DigestError as exc:
            return redirect(request, _back(edition), str(exc), kind="error")

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


#: What the banner says after each story action.
DONE = {
    "save": N_("Story %(n)s saved."),
    "drop": N_("Story %(n)s dropped."),
    "restore": N_("Story %(n)s restored."),
    "revert": N_("Story %(n)s is back to its original."),
    "pin": N_("Story %(n)s pinned as the lead."),
    "unpin": N_("Story %(n)s unpinned."),
    "up": N_("Story %(n)s moved up."),
    "down": N_("Story %(n)s moved down."),
    "merge": N_("Story %(other)s merged into story %(n)s."),
    "split": N_("Story %(n)s split into its sources."),
    "finally": N_("Story %(n)s marked as “And finally”."),
    "unfinally": N_("Story %(n)s is no longer “And finally”; the slot stays empty."),
}


#: What a rebuild could not keep, as the banner names it.
UNKEPT = {
    "edit": N_("edited"),
    "drop": N_("dropped"),
    "pin": N_("pinned as the lead"),
    "merge": N_("merged"),
    "split": N_("split"),
    "finally": N_("marked as “And finally”"),
    "no_finally": N_("no “And finally”"),
}


def _not_kept(request: Request, unkept: Sequence[desk.Unkept]) -> str:
    """What a rebuild could not keep, as the banner says it."""
    return "; ".join(f"{gettext(request, UNKEPT[u.what])} — {u.headline}" for u in unkept)


def _back(edition: Edition, position: int | None = None) -> str:
    anchor = f"story-{edition.language}-{position}" if position is not None else f"lang-{edition.language}"
    return f"/admin/editions/{edition.edition_date.isoformat()}#{anchor}"


@action(Role.EDITOR)
@_on_edition
async def edit_item(request: Request, who: Principal, form: FormData, edition: Edition) -> Response:
    """POST /admin/editions/{day}/{language}/items/{position}: ``op`` save (headline,
    summary), drop, restore, revert (to the original), pin, unpin, up, down, merge
    (``other``), split, finally or unfinally."""
    ctx = context_of(request)
    ops, actor = ctx.operations(), who.actor
    position = int(request.path_params["position"])
    op = text(form, "op")
    if op == "save":
        headline, summary = text(form, "headline", 1000).strip(), text(form, "summary", 5000).strip()
        if not headline:
            said = gettext(request, "A story needs a headline.")
            return redirect(request, _back(edition, position), said, kind="error")
        await ctx.db(desk.edit_item, ops, actor, edition, position, headline=headline, summary=summary)
    elif op in ("drop", "restore"):
        await ctx.db(desk.edit_item, ops, actor, edition, position, dropped=op == "drop")
    elif op == "revert":
        await ctx.db(desk.revert_item, ops, actor, edition, position)
    elif op in ("pin", "unpin"):
        await ctx.db(desk.pin_item, ops, actor, edition, position, pinned=op == "pin")
    elif op in ("up", "down"):
        await ctx.db(desk.move_item, ops, actor, edition, position, op)
    elif op in ("merge", "split", "finally", "unfinally"):
        return await _story_decision(request, who, form, edition, position, op)
    else:
        return redirect(request, _back(edition), gettext(request, "Unknown action."), kind="error")
    done = gettext(request, DONE[op], n=position + 1)
    return redirect(request, _back(edition, position), done)


async def _story_decision(
    request: Request, who: Principal, form: FormData, edition: Edition, position: int, op: str
) -> Response:
    """``op`` merge (``other``: the position of the story merged into this one), split,
    finally or unfinally: each rebuilds the edition; the banner says what it could not keep."""
    ctx = context_of(request)
    ops, actor = ctx.operations(), who.actor
    other = 0
    if op == "merge":
        try:
            other = int(text(form, "other", 10))
        except ValueError:
            said = gettext(request, "Choose the story to merge into this one.")
            return redirect(request, _back(edition, position), said, kind="error")
        done = await ctx.db(stories.merge_stories, ops, actor, edition, position, other)
    elif op == "split":
        done = await ctx.db(stories.split_story, ops, actor, edition, position)
    else:
        done = await ctx.db(stories.mark_finally, ops, actor, edition, position, marked=op == "finally")
    said = gettext(request, DONE[op], n=position + 1, other=other + 1)
    if done.unkept:
        said += " " + gettext(request, "Not kept: %(lost)s", lost=_not_kept(request, done.unkept))
    return redirect(request, _back(edition), said)


@action(Role.EDITOR)
@_on_edition
async def approve(request: Request, who: Principal, form: FormData, edition: Edition) -> Response:
    """POST /admin/editions/{day}/{language}/approve."""
    ctx = context_of(request)
    await ctx.db(desk.approve, ctx.operations(), who.actor, edition)
    return redirect(request, _back(edition), gettext(request, "Edition approved."))


@action(Role.EDITOR)
@_on_edition
async def withdraw(request: Request, who: Principal, form: FormData, edition: Edition) -> Response:
    """POST /admin/editions/{day}/{language}/withdraw: until its delivery starts."""
    ctx = context_of(request)
    await ctx.db(desk.withdraw, ctx.operations(), who.actor, edition)
    return redirect(request, _back(edition), gettext(request, "Approval withdrawn."))


@action(Role.EDITOR)
@_on_edition
async def rebuild(request: Request, who: Principal, form: FormData, edition: Edition) -> Response:
    """POST /admin/editions/{day}/{language}/rebuild: while no delivery has started.
    When some of the editor's decisions cannot be kept, a page lists them and asks
    (``force=1`` rebuilds anyway)."""
    ctx = context_of(request)
    force = text(form, "force") == "1"
    try:
        done = await ctx.db(
            desk.rebuild, ctx.operations(), who.actor, edition.edition_date, edition.language, force=force
        )
    except desk.RebuildWouldLose as exc:
        base = f"/admin/editions/{edition.edition_date.isoformat()}/{edition.language}"
        return render(request, "rebuild.html", who, edition=edition, unkept=exc.unkept, base=base)
    if done.unkept:
        lost = _not_kept(request, done.unkept)
        return redirect(request, _back(edition), gettext(request, "Edition rebuilt; not kept: %(lost)s", lost=lost))
    return redirect(request, _back(edition), gettext(request, "Edition rebuilt; every decision kept."))


@action(Role.EDITOR)
@_on_edition
async def test_send(request: Request, who: Principal, form: FormData, edition: Edition) -> Response:
    """POST /admin/editions/{day}/{language}/test-send: field ``to``, up to 10 addresses;
    only they get mail (the proof path of ``digest send --to``)."""
    ctx = context_of(request)
    addresses = desk.parse_addresses(text(form, "to", 4000))
    if ctx.proof_sender is None:
        return redirect(
            request, _back(edition), gettext(request, "Test sending is not available in this process."), kind="error"
        )
    results = await desk.send_test_copy(ctx.operations(), who.actor, edition, addresses, ctx.proof_sender)
    failed = {a: r for a, r in results.items() if r != "sent"}
    if failed:
        detail = "; ".join(f"{a}: {r}" for a, r in failed.items())
        return redirect(
            request, _back(edition), gettext(request, "Not sent to: %(detail)s", detail=detail), kind="error"
        )
    return redirect(request, _back(edition), gettext(request, "Test copy sent to %(to)s.", to=", ".join(addresses)))
