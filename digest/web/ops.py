"""Operations endpoints: ``/healthz`` and ``/metrics``.

``/healthz`` answers 200 when the database is reachable with a current schema and the
scheduler is running, 503 otherwise, with a JSON body saying which part failed and when
the jobs run next. ``/metrics`` serves digest's Prometheus registry in the text format;
the delivery-table gauges are read from the database at scrape time. Neither shows an
address, a secret or the database URL.

The web app is someone else's: :func:`with_ops` puts these two paths in front of it
without touching it (its lifespan and every other path go to it unchanged).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from digest import metrics
from digest.daily.health import Store, check_database, delivery_backlog
from digest.errors import DigestError

OPS_PATHS = frozenset({"/healthz", "/metrics"})
DATABASE_TIMEOUT_SECONDS = 5.0


class SchedulerStatus(Protocol):
    """What /healthz needs from the scheduler (digest.runtime.scheduler.ScheduleRunner has it)."""

    def status(self, now: datetime) -> Mapping[str, Any]:
        """``running`` (bool), ``jobs`` (id and next run time) and anything else useful."""
        ...


def _check_database(store: Store) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check_database(store)  # connects, and reads the schema revision
    except DigestError as exc:
        return {"ok": False, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
    except Exception as exc:  # a driver error must turn into a 503, not a 500
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


async def database_health(store: Store) -> dict[str, Any]:
    """Whether the database answers, within a timeout (it runs in a worker thread)."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_check_database, store), DATABASE_TIMEOUT_SECONDS)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {DATABASE_TIMEOUT_SECONDS:g}s"}


def ops_app(
    store: Store,
    *,
    scheduler: SchedulerStatus | None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Starlette:
    """The /healthz and /metrics endpoints over ``store`` and ``scheduler``.

    With ``scheduler`` None (a process without one) /healthz reports it as not running.
    """

    async def healthz(request: Request) -> Response:
        now = clock()
        database = await database_health(store)
        sched = dict(scheduler.status(now)) if scheduler is not None else {"running": False, "jobs": []}
        ok = bool(database.get("ok")) and bool(sched.get("running"))
        # Warnings leave the status ok: an edition held for approval is a person's to act on.
        warnings = sched.get("warnings", [])
        body: dict[str, Any] = {"status": "ok" if ok else "fail", "time": now.isoformat(), "database": database}
        body |= {"scheduler": sched, "warnings": list(warnings) if isinstance(warnings, list) else []}
        return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})

    async def metrics_endpoint(request: Request) -> Response:
        now = clock()
        try:
            backlog = await asyncio.wait_for(
                asyncio.to_thread(delivery_backlog, store, now=now), DATABASE_TIMEOUT_SECONDS
            )
            metrics.set_delivery_gauges(due=backlog.due, in_flight=backlog.in_flight)
        except Exception:  # the process's own metrics are still worth serving
            metrics.DATABASE_ERRORS.inc()
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/healthz", healthz), Route("/metrics", metrics_endpoint)])


def with_ops(app: ASGIApp, ops: ASGIApp) -> ASGIApp:
    """An ASGI app that sends /healthz and /metrics to ``ops`` and everything else
    (other paths, websockets, lifespan) to ``app``."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in OPS_PATHS:
            await ops(scope, receive, send)
        else:
            await app(scope, receive, send)

    return dispatch
