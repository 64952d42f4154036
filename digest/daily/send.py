"""The operator's send (``digest send``) and the one-shot sender (``digest worker
--until-idle``).

A send: the date's editions (built first when a language is missing), then one of a
test copy to given addresses (no delivery row touched), a dry run (every message
composed, nothing sent or written), or the real thing: held rows released and failed
rows retried on request, the editions fanned out due now, and the rows sent by this
process plus helper processes when there are many, until nothing is due. Running it
again (or after a crash) sends only what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from digest.config import Settings
from digest.daily.desk import require_approved
from digest.daily.editions import edition_day, fan_out_now, sendable
from digest.daily.helper_processes import helper_command, start_helpers, tie_to_parent
from digest.daily.status import SendSummary, left_to_send, send_summary
from digest.deliver.ledger import new_sender_id
from digest.deliver.messages import EditionMessages
from digest.deliver.options import SendReport as SendReport
from digest.deliver.pool import SMTPConfig
from digest.deliver.proofs import send_proofs

# Re-exported (as X) for the CLI, which imports no digest.deliver module.
from digest.deliver.replies import SmtpOutcome as SmtpOutcome
from digest.deliver.replies import Verdict as Verdict
from digest.deliver.sender import run_sender
from digest.errors import DigestError
from digest.mail.compose import EditionComposer
from digest.models import Edition, EditionStatus, OutgoingMessage
from digest.store import Store
from digest.store import delivery_admin as admin
from digest.store.editions import EditionLockedError, editions_for_date
from digest.subscribers.membership import signed_links

#: Below this many due rows `digest send` does it all in one process (starting helper
#: processes costs about a second each).
HELPER_THRESHOLD = 1000
#: Messages that could not be composed, listed per edition in a dry run.
DRY_RUN_ERRORS = 10

Say = Callable[[str], None]


class StillWaiting(DigestError):
    """A send ended with readers still waiting for a temporary reason (exit status 3)."""

    exit_code = 3


@dataclass(frozen=True)
class SendOptions:
    """What the operator asked for (``digest send``'s options)."""

    day: date | None = None
    to: tuple[str, ...] = ()
    dry_run: bool = False
    retry_failed: bool = False
    release_held: bool = False
    #: ``--now``: rows waiting for a retry go now too, before their backoff ends.
    force_now: bool = False
    #: The config file helper processes are started with (None: their default).
    config_path: str | None = None


@dataclass(frozen=True)
class SendProgress:
    """Where a send stands, for a progress bar (rows of helper processes included)."""

    total: int
    completed: int
    sent: int
    failed: int
    retrying: int


@dataclass(frozen=True)
class DryRunEdition:
    """One edition's dry run: messages composed, their size, the ones that failed."""

    edition: Edition
    count: int
    size: int
    errors: list[str]


@dataclass
class SendResult:
    """What ``digest send`` did; exactly one of ``proofs``, ``dry_run``, ``report`` is
    set when there was something to send."""

    day: date
    editions: list[Edition] = field(default_factory=list)
    proofs: list[tuple[OutgoingMessage, SmtpOutcome]] | None = None
    dry_run: list[DryRunEdition] | None = None
    report: SendReport | None = None
    summary: SendSummary | None = None
    #: How the run ended for the exit status: 0 every due reader delivered, 1 stopped
    #: by a fault of ours, 3 readers still waiting (temporary); ``verdict`` says why.
    exit_code: int = 0
    verdict: str = ""


def day_editions(store: Store, settings: Settings, day: date, now: datetime, *, build: bool) -> list[Edition]:
    """The date's stored editions; with ``build``, the missing languages are built
    first, and skipped (empty) ones built again: the window may hold articles now."""
    existing = editions_for_date(store, settings.newsletter.name, day)
    if not build:
        return existing
    have = {e.language for e in existing if e.status is not EditionStatus.SKIPPED or e.items}
    again = [lang for lang in settings.newsletter.languages if lang not in have]
    if not again:
        return existing
    # Here, not at import: the editorial pipeline costs a second of CPU to import, and
    # most sends (a re-run, a helper, a send after the scheduler built) build nothing.
    from digest.daily.build import build_editions

    rebuilt = {e.language: e for e in existing}
    for lang in again:
        try:
            (ed,) = build_editions(store, settings, edition_date=day, now=now, languages=[lang], rebuild=True)
        except EditionLockedError:  # a skipped edition with rows: leave it as it is
            continue
        rebuilt[lang] = ed
    return [rebuilt[lang] for lang in settings.newsletter.languages if lang in rebuilt]


def send(
    store: Store,
    settings: Settings,
    options: SendOptions,
    *,
    now: datetime,
    clock: Callable[[], datetime],
    say: Say,
    warn: Say,
    progress: Callable[[SendProgress], None] | None = None,
) -> SendResult:
    """``digest send``: see the module docstring. ``say`` gets the operator's notes as
    they happen, ``warn`` problems of helper processes, ``progress`` (when given) the
    state of the send twice a second."""
    day = edition_day(settings, options.day, now)
    out = SendResult(day)
    for ed in day_editions(store, settings, day, now, build=True):
        if sendable([ed]):
            out.editions.append(ed)
        else:
            say(f"{ed.language}: no article in the window, nothing to send")
    if not out.editions:
        return out
    if options.to:
        out.proofs = asyncio.run(send_proofs(settings, out.editions, options.to, now=now))
        return out
    if options.dry_run:
        out.dry_run = dry_run(settings, store, out.editions, now=now)
        return out
    require_approved(settings, store, out.editions)  # review mode: only approved editions go out
    SMTPConfig.from_settings(settings)  # a missing ca_file or password stops us before any row moves
    ids = [ed.id for ed in out.editions if ed.id is not None]
    if options.release_held:
        say(f"released {admin.release_held(store, ids, now=now)} held deliveries")
    if options.retry_failed:
        say(f"retrying {admin.retry_failed(store, ids, now=now)} failed deliveries")
    fresh = fresh_editions(settings, out.editions, now)
    again = admin.retry_temporary(store, fresh, now=now)
    if again:
        say(f"retrying {again:,} deliveries that ran out of attempts for a temporary reason")
    fan_out_now(store, out.editions, now=now)
    if options.force_now:
        moved = admin.bring_forward(store, ids, now=now, retries=True)
        if moved:
            warn(f"warning: --now: {moved:,} deliveries sent before the end of their retry backoff")
    due = admin.due_count(store, now=now, edition_ids=ids)
    before = admin.counts(store, ids)
    # Rows left in flight by a sender that stopped are sent again: they count as to send.
    to_send = due + before["sending"]
    backing_off = before["retry"] - admin.due_count_in(store, ids, "retry", now=now)
    if to_send == 0 and not backing_off:
        say("nothing left to send: every confirmed subscriber has had the edition (`digest status`)")
    else:
        say(f"{to_send:,} to send")
    if backing_off and not options.force_now:
        say(f"{backing_off:,} wait for their retry time (`digest status`; `digest send --now` sends them now)")
    helpers = helper_count(settings) if due >= HELPER_THRESHOLD else 0
    command = helper_command(options.config_path, ids)
    me, started = new_sender_id(), clock()
    report, helper_pids = asyncio.run(
        _send(
            settings, store, ids, due=to_send, helpers=helpers, command=command, clock=clock, warn=warn,
            progress=progress, me=me,
        )
    )  # fmt: skip
    host = me.split(":")[0]
    run = admin.run_counts(store, ids, [me, *(f"{host}:{pid}:" for pid in helper_pids)], since=started)
    out.report = replace(report, sent=run["sent"], failed=run["failed"], retrying=run["retry"], untried=run["untried"])
    out.summary = send_summary(store, out.editions, connections=settings.smtp.connections)
    out.exit_code, out.verdict = run_verdict(report, admin.left_over(store, ids, now=clock(), fresh=fresh), out.summary)
    return out


def fresh_editions(settings: Settings, editions: Sequence[Edition], now: datetime) -> list[int]:
    """Ids of the editions still young enough that rows failed for temporary reasons
    are retried (``[smtp] give_up_after_hours`` since they were built)."""
    limit = timedelta(hours=float(settings.smtp.give_up_after_hours))
    return [ed.id for ed in editions if ed.id is not None and (ed.built_at is None or now - ed.built_at < limit)]


def run_verdict(report: SendReport, left: dict[str, int], summary: SendSummary) -> tuple[int, str]:
    """The exit status of a send and its one line: 1 when a fault of ours stopped it,
    3 when readers are still waiting (temporary, or the send was interrupted), else 0."""
    if report.fatal:
        return 1, f"sending stopped: {report.fatal}"
    if report.stopped and report.stopped_fault == "ours":
        return 1, f"sending stopped: {report.stopped}; nobody was charged for it, fix it and run `digest send` again"
    if report.server_down:
        return 1, f"SMTP server unavailable ({report.server_down}); run `digest send` again later"
    if report.stopped:
        return 3, f"sending stopped: {report.stopped}; run `digest send` again later"
    if left["waiting"]:
        why = "interrupted; " if report.interrupted else ""
        when = f", next retry {summary.next_retry.isoformat(timespec='minutes')}" if summary.next_retry else ""
        return 3, f"{why}{left['waiting']:,} readers still waiting for the edition{when} (`digest status`)"
    return 0, ""


def helper_count(settings: Settings) -> int:
    """Helper processes for a big send: [smtp] processes minus this one (0: up to 4 in
    all, fewer on fewer CPUs)."""
    wanted: int = settings.smtp.processes
    if wanted <= 0:
        wanted = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    return max(0, wanted - 1)


async def _send(
    settings: Settings,
    store: Store,
    ids: list[int],
    *,
    due: int,
    helpers: int,
    command: list[str],
    clock: Callable[[], datetime],
    warn: Say,
    progress: Callable[[SendProgress], None] | None,
    me: str,
) -> tuple[SendReport, list[int]]:
    """This process's sender loop (as sender ``me``), ``helpers`` helper processes, and
    the progress feed; the report and the helpers' process ids."""
    stop, done = asyncio.Event(), asyncio.Event()
    messages = EditionMessages.from_settings(settings, store, clock=clock)
    with _signals(stop), start_helpers(command, helpers, warn) as procs:
        watcher = asyncio.create_task(_follow(store, ids, due, done, clock, progress))
        try:
            report = await run_sender(store, settings, messages, sender_id=me, stop=stop, edition_ids=ids)
            while any(p.poll() is None for p in procs) and not stop.is_set():
                await asyncio.sleep(0.2)
        finally:
            done.set()
            await watcher
    return report, [p.pid for p in procs]


async def _follow(
    store: Store,
    ids: list[int],
    total: int,
    done: asyncio.Event,
    clock: Callable[[], datetime],
    progress: Callable[[SendProgress], None] | None,
) -> None:
    """Feed ``progress`` from the delivery table twice a second (so helper processes
    count too) until ``done``; then once more, complete."""
    if progress is None:
        await done.wait()
        return
    start = await asyncio.to_thread(admin.counts, store, ids)
    state = start
    while not done.is_set():
        state = await asyncio.to_thread(admin.counts, store, ids)
        left = await asyncio.to_thread(left_to_send, store, ids, now=clock())
        progress(_progress(total, max(0, total - left), start, state))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=0.5)
    progress(_progress(total, total, start, state))


def _progress(total: int, completed: int, start: dict[str, int], state: dict[str, int]) -> SendProgress:
    return SendProgress(
        total, completed, state["sent"] - start["sent"], state["failed"] - start["failed"], state["retry"]
    )


@contextlib.contextmanager
def _signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT/SIGTERM ask the loop to stop: messages on the wire finish, the rest is
    released for the next run."""
    loop = asyncio.get_running_loop()
    handled = (signal.SIGINT, signal.SIGTERM)
    for sig in handled:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def dry_run(settings: Settings, store: Store, editions: Sequence[Edition], *, now: datetime) -> list[DryRunEdition]:
    """Compose every message a send would make now; send and write nothing. Stops after
    the first edition with a message that could not be composed."""
    composer = EditionComposer.from_settings(settings, signed_links(settings))
    out = []
    for ed in editions:
        assert ed.id is not None
        count = size = 0
        errors: list[str] = []
        for subscriber in admin.recipients(store, ed.id, language=ed.language):
            try:
                size += len(composer.compose(ed, subscriber, delivery_id=None, now=now).data)
                count += 1
            except Exception as exc:  # report every failure, keep rendering the rest
                errors.append(f"{subscriber.email}: {exc}")
        out.append(DryRunEdition(ed, count, size, errors))
        if errors:
            break
    return out


async def until_idle(
    settings: Settings,
    store: Store,
    edition_ids: list[int] | None,
    *,
    clock: Callable[[], datetime],
    parent_pid: int | None = None,
) -> SendReport:
    """``digest worker --until-idle``: one sender loop until nothing is due (SIGINT or
    SIGTERM stop it early, in-flight messages finished). A helper of ``digest send``
    gets its ``parent_pid`` and stops when that process dies."""
    stop = asyncio.Event()
    if parent_pid is not None:
        loop = asyncio.get_running_loop()
        tie_to_parent(parent_pid, lambda: loop.call_soon_threadsafe(stop.set))
    messages = EditionMessages.from_settings(settings, store, clock=clock)
    with _signals(stop):
        return await run_sender(
            store, settings, messages, sender_id=new_sender_id(), stop=stop, edition_ids=edition_ids, now=clock
        )
