"""The sender's outcome writes on a database connection of their own, with their SQL
written once: the per-reply commit at the cost of the database, not of the ORM layer.

:func:`digest.store.outcomes.record` builds SQLAlchemy statements; with a commit per
reply (a few rows at a time, see :mod:`digest.deliver.writer`) building, caching and
binding them cost several times the database's own work, on the CPU the SMTP
connections share. :class:`OutcomeWriter` writes the common outcomes — sent, retry,
failed, untried, with no suppression and no soft bounce to count — with fixed SQL
strings through the driver's ``executemany`` (sqlite3 and psycopg keep each prepared),
in one transaction, guarded by ``claimed_by`` exactly as :func:`outcomes.record` is.
:func:`outcomes.record` tries it first (``prepared=``); anything else (a suppression, a
soft bounce, a row whose lease was lost) takes its general path, which knows every
case: the same rows, the same columns.

One writer per sender, used from one thread (the sender's outcome thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from digest.models import DeliveryState
from digest.store import Store
from digest.store.outcomes import AttemptResult, Recorded

_SETTLE = "claimed_by = NULL, lease_until = NULL, last_code = :code, updated_at = :at"
_GUARD = f"WHERE id = :id AND claimed_by = :sender AND state = '{DeliveryState.SENDING.value}'"
_UPDATES = {
    "sent": f"UPDATE deliveries SET state = 'sent', sent_at = :at, message_id = :message_id, last_error = '', "
    f"fault = '', {_SETTLE} {_GUARD}",
    "retry": f"UPDATE deliveries SET state = 'retry', due_at = :retry_at, last_error = :message, fault = :fault, "
    f"{_SETTLE} {_GUARD}",
    "failed": f"UPDATE deliveries SET state = 'failed', last_error = :message, fault = :fault, {_SETTLE} {_GUARD}",
    # Nothing reached the reader's server: the attempt mark_sending counted is given back.
    "untried": "UPDATE deliveries SET state = CASE WHEN attempts > 1 THEN 'retry' ELSE 'pending' END, "
    f"attempts = attempts - 1, due_at = :retry_at, last_error = :message, fault = :fault, {_SETTLE} {_GUARD}",
}
_ATTEMPT = (
    "INSERT INTO delivery_attempts (delivery_id, at, code, message, outcome, sender) "
    "VALUES (:id, :at, :code, :message, :outcome, :sender)"
)
# A delivery resets the soft-bounce count (as digest.store.bounces.apply_bounces does).
_DELIVERED = (
    "UPDATE subscribers SET soft_bounces = 0, soft_bounce_since = NULL WHERE id = :subscriber AND soft_bounces > 0"
)


def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s``."""
    import re

    return re.sub(r":([a-z_]+)", r"%(\1)s", sql)


class OutcomeWriter:
    """Writes a sender's outcomes (see the module's docstring) on its own connection."""

    def __init__(self, store: Store, sender_id: str) -> None:
        self.store = store
        self.sender_id = sender_id
        engine = store.engine
        self.dialect = engine.dialect.name
        # Only a real engine of a known driver: inside a joined transaction (tests) the
        # general path writes on the transaction's connection.
        self.fast = isinstance(engine, Engine) and self.dialect in ("sqlite", "postgresql")
        self._raw: Any = None
        convert = (lambda s: s) if self.dialect == "sqlite" else _pyformat
        self._updates = {outcome: convert(sql) for outcome, sql in _UPDATES.items()}
        self._attempt = convert(_ATTEMPT)
        self._delivered = convert(_DELIVERED)

    def _time(self, value: datetime) -> Any:
        # As UTCDateTime binds it: aware UTC on PostgreSQL, SQLAlchemy's naive text on SQLite.
        utc = value.astimezone(UTC)
        return utc if self.dialect == "postgresql" else utc.replace(tzinfo=None).isoformat(" ", "microseconds")

    def write(self, results: Sequence[AttemptResult]) -> Recorded | None:
        """Write ``results`` in one transaction, or None (nothing written) when they
        need :func:`digest.store.outcomes.record`'s general path."""
        if not self.fast or any(r.suppress or r.soft_bounce or r.outcome not in _UPDATES for r in results):
            return None
        return self._write(results)

    def _connection(self) -> Any:
        if self._raw is None:
            # A pooled DBAPI connection with the engine's settings (WAL, busy timeout),
            # kept for this writer's life.
            self._raw = self.store.engine.raw_connection()
        return self._raw

    def _write(self, results: Sequence[AttemptResult]) -> Recorded | None:
        """The fast path; None (rolled back) when a row is no longer this sender's."""
        raw = self._connection()
        cursor = raw.cursor()
        counts = dict.fromkeys(_UPDATES, 0)
        rows = [
            {
                "id": r.delivery_id,
                "sender": self.sender_id,
                "at": self._time(r.at),
                "code": r.code,
                "message": r.message,
                "message_id": r.message_id,
                "retry_at": self._time(r.retry_at or r.at),
                "fault": r.fault,
                "outcome": r.outcome,
            }
            for r in results
        ]
        try:
            if self.dialect == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            for outcome, sql in self._updates.items():
                params = [p for p in rows if p["outcome"] == outcome]
                if params:
                    cursor.executemany(sql, params)
                    counts[outcome] = cursor.rowcount
            if sum(counts.values()) != len(rows):
                raw.rollback() if self.dialect != "sqlite" else cursor.execute("ROLLBACK")
                return None
            cursor.executemany(self._attempt, rows)
            delivered = [{"subscriber": r.subscriber_id} for r in results if r.outcome == "sent"]
            if delivered:
                cursor.executemany(self._delivered, delivered)
            if self.dialect == "sqlite":
                cursor.execute("COMMIT")
            else:
                raw.commit()
        except BaseException:
            if self.dialect == "sqlite":
                if raw.driver_connection.in_transaction:
                    cursor.execute("ROLLBACK")
            else:
                raw.rollback()
            raise
        finally:
            cursor.close()
        return Recorded(counts["sent"], counts["retry"], counts["failed"], 0, (), counts["untried"])

    def close(self) -> None:
        """Give the connection back to the engine's pool."""
        if self._raw is not None:
            self._raw.close()
            self._raw = None
