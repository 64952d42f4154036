"""POST /admin/subscribers/bulk: one change to many subscribers at once, from the list.

The list's form sends the ticked rows (``id``, repeated) or ``all_matching=yes`` with
the list's filters (``q``, ``status``, ``language``, ``topic``), and an ``operation``:
``unsubscribe``, ``forget``, ``add_topic`` / ``remove_topic`` (with ``topic_name``),
``resend_confirmation`` or ``export`` (the selection as CSV). Unsubscribing and
forgetting first answer with a page naming how many subscribers the change will touch,
whose button posts the same form again with ``confirm=yes``; nothing changes before.
The change itself is one ``subscriber.bulk`` action (:mod:`digest.actions.bulk`).
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest import i18n
from digest.actions import Forbidden
from digest.actions import bulk as actions
from digest.admins import Role
from digest.errors import DigestError
from digest.models import SubscriberQuery, SubscriberStatus
from digest.web.admin.core import Principal, action, gettext, ngettext, redirect, refused, render, text
from digest.web.admin.imports import confirm_all
from digest.web.context import context_of

FILTERS = ("q", "status", "language", "topic")
#: Most rows a form may tick (a page holds 50; anything more is "all matching").
MAX_TICKED = 500


def _query(form: FormData) -> SubscriberQuery:
    status, language = text(form, "status", 20), text(form, "language", 10)
    return SubscriberQuery(
        text=text(form, "q", 200).strip(),
        status=status if status in {s.value for s in SubscriberStatus} else "",
        language=language if language in i18n.languages() else "",
        topic=text(form, "topic", 100).strip(),
    )


def selection_of(form: FormData) -> actions.Selection:
    """The subscribers the form names: every one matching its filters, or the ticked ids."""
    if text(form, "all_matching") == "yes":
        return actions.Selection(query=_query(form))
    ids = tuple(int(v) for v in form.getlist("id")[:MAX_TICKED] if isinstance(v, str) and v.isdigit())
    return actions.Selection(ids=ids)


def _back(form: FormData) -> str:
    filters = {k: text(form, k, 200) for k in FILTERS}
    query = urlencode({k: v for k, v in filters.items() if v})
    return "/admin/subscribers" + (f"?{query}" if query else "")


def _done(request: Request, result: actions.BulkResult, topic: str) -> str:
    n = result.changed
    said = {
        "unsubscribe": ngettext(request, "%(num)s subscriber unsubscribed.", "%(num)s subscribers unsubscribed.", n),
        "forget": ngettext(
            request, "Personal data of %(num)s subscriber erased.", "Personal data of %(num)s subscribers erased.", n
        ),
        "add_topic": ngettext(
            request, "Topic %(topic)s added for %(num)s subscriber.", "Topic %(topic)s added for %(num)s subscribers.",
            n, topic=topic,
        ),
        "remove_topic": ngettext(
            request, "Topic %(topic)s removed for %(num)s subscriber.",
            "Topic %(topic)s removed for %(num)s subscribers.", n, topic=topic,
        ),
        "resend_confirmation": ngettext(
            request, "Confirmation mail sent again to %(num)s subscriber.",
            "Confirmation mail sent again to %(num)s subscribers.", n,
        ),
    }[result.operation]  # fmt: skip
    if result.unchanged:
        said += " " + ngettext(
            request, "%(num)s left as it was (already so, or not possible).",
            "%(num)s left as they were (already so, or not possible).", result.unchanged,
        )  # fmt: skip
    return said


@action(Role.VIEWER)
async def bulk_action(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/bulk: see the module's docstring."""
    ctx = context_of(request)
    ops = ctx.operations()
    operation, topic, back = text(form, "operation", 40), text(form, "topic_name", 100).strip(), _back(form)
    selection = selection_of(form)
    if selection.query is None and not selection.ids:
        return redirect(request, back, gettext(request, "Tick at least one subscriber first."), kind="error")
    try:
        if operation == "export":
            out = io.StringIO()
            await ctx.db(actions.export, ops, who.actor, selection, out)
            return Response(
                out.getvalue(), media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="subscribers.csv"', "Cache-Control": "no-store"},
            )  # fmt: skip
        if not who.role.allows(Role.EDITOR):
            return refused(request, who, 403, gettext(request, "Your role does not allow this change."))
        if operation in actions.DANGEROUS and text(form, "confirm") != "yes":
            count = await ctx.db(actions.count, ops, selection)
            hidden = [(k, v) for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)]
            return render(
                request, "bulk_confirm.html", who, operation=operation, count=count, hidden=hidden,
                back=back, filters=selection.query,
            )  # fmt: skip
        result = await ctx.db(actions.bulk, ops, who.actor, operation, selection, topic=topic)
    except Forbidden:
        return refused(request, who, 403, gettext(request, "Your role does not allow this change."))
    except DigestError as exc:
        return redirect(request, back, str(exc), kind="error")
    response = redirect(request, back, _done(request, result, topic))
    if result.to_confirm:
        response.background = BackgroundTask(confirm_all, ctx, result.to_confirm)
    return response
