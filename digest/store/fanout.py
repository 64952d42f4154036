"""Fan-out: an edition's delivery rows, one per confirmed subscriber, inserted once.

Every new row goes through :func:`insert_rows` (one ``INSERT ... SELECT ... ON CONFLICT
DO NOTHING``), whether it starts ``pending`` (:func:`fan_out`) or ``skipped`` (the
scheduler's catch-up, :mod:`digest.store.catchup`): the list is never loaded into memory,
and a row that exists is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal, select, update

from digest.models import DeliveryState, EditionStatus, SubscriberStatus
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.deliveries import D, S
from digest.store.engine import dialect_insert

_COLUMNS = ["edition_id", "subscriber_id", "state", "due_at", "last_error", "created_at", "updated_at"]


def insert_rows(
    conn: Connection, edition_id: int, *where: Any, state: DeliveryState, due: datetime, now: datetime, reason: str = ""
) -> int:
    """Insert a row in ``state`` due at ``due`` for each subscriber matching ``where``
    (conditions on the subscribers table) that has none for the edition yet. Returns
    the rows added."""
    source = select(
        literal(edition_id),
        S.id,
        literal(state.value),
        literal(due, D.due_at.type),
        literal(reason),
        literal(now, D.created_at.type),
        literal(now, D.updated_at.type),
    ).where(*where)
    statement = (
        dialect_insert(conn.dialect.name)(t.deliveries)
        .from_select(_COLUMNS, source)
        .on_conflict_do_nothing(index_elements=["edition_id", "subscriber_id"])
    )
    # INSERT row counts are kept only on request (SQLAlchemy 2 preserve_rowcount)
    return int(conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount or 0)


def fan_out(
    store: Store,
    edition_id: int,
    *,
    language: str,
    due_at_for: Callable[[str, str], datetime],
    now: datetime,
) -> int:
    """Insert one pending row per confirmed subscriber of ``language`` for the edition;
    rows that exist already are left alone (re-runnable). Returns the rows added.

    Subscribers are grouped by their stored (timezone, send_at), ``due_at_for`` is
    called once per group, and each group is one ``INSERT ... SELECT``.
    """
    added = 0
    confirmed = (S.status == SubscriberStatus.CONFIRMED.value, S.language == language)
    groups = select(S.timezone, S.send_at).where(*confirmed).distinct()
    with immediate(store.engine) as conn:
        for timezone, send_at in conn.execute(groups).all():
            due = due_at_for(timezone, send_at)
            members = (*confirmed, S.timezone == timezone, S.send_at == send_at)
            added += insert_rows(conn, edition_id, *members, state=DeliveryState.PENDING, due=due, now=now)
        e = t.editions.c
        conn.execute(
            update(t.editions)
            .where(e.id == edition_id)
            .values(fanned_out_at=func.coalesce(e.fanned_out_at, now), status=_sending_once_built(e.status))
        )
    return added


def _sending_once_built(status: Any) -> Any:
    built = EditionStatus.BUILT.value
    return case((status == built, EditionStatus.SENDING.value), else_=status)
