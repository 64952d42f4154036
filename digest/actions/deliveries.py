"""Deliveries an operator fixes: retry the failed ones, release the held ones; and the
reads the delivery pages and the API show (the suppression list: digest.actions.suppressions).

Retrying says how many rows it reopened and why the others stayed as they were, so a
"0 deliveries due again" is never the whole answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digest.actions.core import Actor, Operations, declare
from digest.admins import Role
from digest.daily.send import Say, SendOptions, SendProgress, SendResult
from digest.daily.send import send as send_day
from digest.deliver.bounce_reports import ImportSummary, import_bounces
from digest.store import delivery_admin, delivery_snapshot, listings
from digest.store.listings import Failure

__all__ = ["Failure", "ImportSummary"]

RETRY = declare("delivery.retry_failed", Role.EDITOR, "retry an edition's failed deliveries")
RELEASE = declare("delivery.release_held", Role.EDITOR, "send an edition's held deliveries again")


@dataclass(frozen=True)
class Reopened:
    """What a retry or a release did: rows due again, and the failed rows left alone
    by their subscriber's status (a retry sends only to confirmed subscribers)."""

    edition_id: int
    count: int
    left: dict[str, int] = field(default_factory=dict)

    def why_not(self) -> str:
        """ "2 unsubscribed, 1 bounced" (empty when none was left)."""
        return ", ".join(f"{n} {status}" for status, n in sorted(self.left.items()))


def retry_failed(ops: Operations, actor: Actor, edition_id: int) -> Reopened:
    """Give the edition's failed rows of still-confirmed subscribers a new chance, due
    now with a fresh attempt count; the others are counted by subscriber status."""
    with ops.act(actor, RETRY, target=f"edition:{edition_id}") as act:
        left = delivery_admin.failed_elsewhere(act.store, [edition_id])
        n = delivery_admin.retry_failed(act.store, [edition_id], now=act.now)
        act.details(rows=n, not_retried=left)
        return Reopened(edition_id, n, left)


def release_held(ops: Operations, actor: Actor, edition_id: int) -> Reopened:
    """Send the edition's held rows (caught mid-send by a crash) again, due now."""
    with ops.act(actor, RELEASE, target=f"edition:{edition_id}") as act:
        n = delivery_admin.release_held(act.store, [edition_id], now=act.now)
        act.details(rows=n)
        return Reopened(edition_id, n)


# Reads --------------------------------------------------------------------------------


def counts(ops: Operations, edition_id: int) -> dict[str, int]:
    """The edition's delivery rows per state (every state listed)."""
    return delivery_admin.counts(ops.store, [edition_id])


def counts_by_edition(ops: Operations, edition_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Each edition's delivery rows per state (every state listed), in one query."""
    return delivery_snapshot.counts_by_edition(ops.store, edition_ids)


def failures(ops: Operations, *, limit: int = 100, edition_ids: Sequence[int] | None = None) -> list[Failure]:
    """The latest failed deliveries with the server's last reply, newest first."""
    return listings.failures(ops.store, edition_ids=edition_ids, limit=limit)


# Bounce reports ---------------------------------------------------------------------

IMPORT_BOUNCES = declare("bounce.import", Role.EDITOR, "read bounce and complaint reports, suppress what they say")


def import_bounce_reports(ops: Operations, actor: Actor, source: Path) -> ImportSummary:
    """Read the DSNs and complaints in ``source`` (a file, an mbox or a Maildir) and
    apply them; audited with the counts. The reports are applied as they are read
    (a Maildir's messages move to cur/ one by one), so the audit row follows them."""
    ops.allow(actor, IMPORT_BOUNCES)
    summary = import_bounces(ops.store, ops.settings, source, now=ops.clock())
    with ops.act(actor, IMPORT_BOUNCES, target=str(source)[:200]) as act:
        act.details(
            messages=summary.messages,
            hard=summary.hard,
            soft=summary.soft,
            complaints=summary.complaints,
            suppressed=summary.suppressed,
        )
    return summary


# Sending ------------------------------------------------------------------------------

SEND = declare("delivery.send", Role.EDITOR, "send a date's editions now (digest send)")


def send(
    ops: Operations,
    actor: Actor,
    options: SendOptions,
    *,
    say: Say,
    warn: Say,
    progress: Callable[[SendProgress], None] | None = None,
) -> SendResult:
    """``digest send`` as an action: the role first, then the day's send
    (:func:`digest.daily.send.send`), then one audit row with what this run did.
    Test copies are audited as ``edition.test_send``, as from the console; a dry run
    changes nothing and leaves no row."""
    name = SEND
    if options.to:
        # Here, not at import: the desk's actions bring the editorial and language-model
        # modules (a second of CPU), which a real send never uses.
        from digest.actions.editions import TEST_SEND

        name = TEST_SEND
    ops.allow(actor, name)
    result = send_day(ops.store, ops.settings, options, now=ops.clock(), clock=ops.clock, say=say, warn=warn,
                      progress=progress)  # fmt: skip
    if options.dry_run:
        return result
    with ops.act(actor, name, target=f"date:{result.day.isoformat()}") as act:
        act.details(editions=[ed.id for ed in result.editions])
        if options.to:
            act.details(to=list(options.to), refused=sum(1 for _, o in result.proofs or [] if o.verdict != "sent"))
        elif result.report is not None:
            r = result.report
            act.details(sent=r.sent, retrying=r.retrying, failed=r.failed, exit_code=result.exit_code,
                        retry_failed=options.retry_failed, release_held=options.release_held)  # fmt: skip
    return result
