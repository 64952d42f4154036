"""/admin/subscribers/import: a CSV file of subscribers, up to ``[web] max_upload_kb``.

A small file is imported while the admin waits, by the very code of ``digest
subscribers import`` (:mod:`digest.subscribers.csv_file`): the same rules, the same
report. A file of more than ``[web] import_background_rows`` rows becomes a job run by
the service's import worker (:mod:`digest.daily.imports`); the upload is answered by a
redirect to the job's page, which shows a progress bar and refreshes itself (an HTTP
``Refresh`` header: no script needed) until the job ends, then the report of every
rejected line. The job's row keeps that report, so the page can be read again later.

Every refusal (no file, too large, not UTF-8, no email column) is this page again with
the reason, in HTML; the API's import answers in JSON.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope, Send

from digest.actions import Actor, imports
from digest.actions import subscribers as actions
from digest.actions.imports import Parsed
from digest.admins import Role
from digest.daily.imports import ImportWorker
from digest.errors import DigestError
from digest.models import Subscriber
from digest.web.admin.core import (
    Principal,
    action,
    current_admin,
    gettext,
    page,
    redirect,
    refused,
    render,
    size_text,
    text,
    upload_limit_kb,
    uploaded_file,
)
from digest.web.context import WebContext, context_of
from digest.web.subscribe import send_confirmation

PATH = "/admin/subscribers/import"
#: Form fields and multipart framing around the file: the body may be this much larger.
FORM_OVERHEAD = 64 * 1024
#: How many rejected lines and warnings a report page lists (the rest are counted).
SHOWN_ISSUES = 1000
#: Seconds between two refreshes of a running job's page.
REFRESH_SECONDS = 1


def worker_of(request: Request) -> ImportWorker:
    """The import worker of the app serving ``request``."""
    worker: ImportWorker = request.app.state.imports
    return worker


def _form(
    request: Request, who: Principal | None, *, status_code: int = 200, jobs: object = (), **context: object
) -> Response:
    """The import page: the form with its limits, the recent jobs, and ``context``
    (a ``report``, or the ``failure`` that sent the admin back to it)."""
    kb = upload_limit_kb(request)
    threshold = context_of(request).settings.web.import_background_rows
    return render(
        request, "import.html", who, status_code=status_code, limit=size_text(request, kb), threshold=threshold,
        jobs=jobs, **context,
    )  # fmt: skip


@page
async def import_form(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers/import: the upload form, its size limit and recent jobs."""
    ctx = context_of(request)
    jobs = await ctx.db(imports.recent, ctx.operations(), limit=5)
    return _form(request, who, report=None, jobs=jobs)


@action(Role.EDITOR)
async def import_upload(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/subscribers/import: field ``file`` (CSV, UTF-8) and ``confirmed``;
    the report, or a redirect to the background job's page for a large file."""
    ctx = context_of(request)

    def fail(message: str, status: int) -> Response:
        return _form(request, who, status_code=status, report=None, failure=message)

    got = await uploaded_file(request, form, back=PATH, missing=gettext(request, "Choose a CSV file."), fail=fail)
    if isinstance(got, Response):
        return got
    data, name = got[0], got[1] or "upload.csv"
    confirmed = text(form, "confirmed") == "yes"
    try:
        parsed = await ctx.db(imports.parse, data, name=name)
    except DigestError as exc:
        return fail(str(exc), 400)
    if len(parsed.rows) > ctx.settings.web.import_background_rows:
        job_id = await ctx.db(imports.start, ctx.operations(), who.actor, parsed, confirmed=confirmed)
        worker_of(request).submit(job_id, functools.partial(run_job, ctx, who.actor, job_id, parsed, confirmed))
        return redirect(request, f"{PATH}/{job_id}", gettext(request, "The import has started."))
    try:
        report = await ctx.db(actions.import_csv, ctx.operations(), who.actor, data, name=name, confirmed=confirmed)
    except DigestError as exc:
        return fail(str(exc), 400)
    pending = actions.pending_of(report.new)
    response = _form(request, who, report=report, name=name)
    if pending:
        response.background = BackgroundTask(confirm_all, ctx, pending)
    return response


@page
async def import_job(request: Request, who: Principal) -> Response:
    """GET /admin/subscribers/import/{job_id}: a job's progress, then its report."""
    ctx = context_of(request)
    await ctx.db(imports.fail_interrupted, ctx.operations())
    job = await ctx.db(imports.get, ctx.operations(), int(request.path_params["job_id"]))
    if job is None:
        return refused(request, who, 404, gettext(request, "No such import."))
    response = render(request, "import_job.html", who, job=job, shown=SHOWN_ISSUES, refresh=REFRESH_SECONDS)
    if not job.finished:
        # The page follows the job without a script: the browser asks again in a second.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


async def confirm_all(ctx: WebContext, pending: list[Subscriber]) -> None:
    """Send the double opt-in mail to each of ``pending``."""
    for sub in pending:
        await send_confirmation(ctx, sub)


def run_job(
    ctx: WebContext, actor: Actor, job_id: int, parsed: Parsed, confirmed: bool, stopping: Callable[[], bool]
) -> None:
    """A job's work, in its thread of the import worker: the import, step by step, then
    the confirmation mails of the pending subscribers it added (on the web app's mail path)."""
    report = imports.run(ctx.operations(), actor, job_id, parsed, confirmed=confirmed, stopping=stopping)
    pending = actions.pending_of(report.new)
    if pending and not stopping():
        asyncio.run(confirm_all(ctx, pending))


async def too_large(scope: Scope, send: Send, cap: int) -> None:
    """The console's 413 page for a body over its cap (:class:`digest.web.middleware.BodyLimit`):
    the import form again saying so on the import path, a short page elsewhere."""
    request = Request(scope)
    who = await current_admin(request)
    path = scope.get("path", "")
    if path.endswith(PATH) and who is not None:
        size = size_text(request, max(1, (cap - FORM_OVERHEAD) // 1024))
        response = _form(
            request, who, status_code=413, report=None,
            failure=gettext(request, "The file is larger than %(size)s.", size=size),
        )  # fmt: skip
    else:
        size = size_text(request, max(1, cap // 1024))
        message = gettext(request, "What was sent is larger than %(size)s.", size=size)
        response = refused(request, who, 413, message)
    response.headers["Connection"] = "close"
    await response(scope, _no_body, send)


async def _no_body() -> dict[str, object]:
    """The body is not read: a refusal answers before it."""
    return {"type": "http.disconnect"}
