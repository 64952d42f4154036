"""The console's background imports: the worker that runs them in the service process.

A file over ``[web] import_background_rows`` rows is imported by a job
(:mod:`digest.actions.imports`) in a thread of this worker, so the upload is answered
at once with a page that follows the job's progress. The worker keeps every thread it
starts: :meth:`ImportWorker.shutdown` asks them to stop between two steps and waits
for them (a job cut short ends as failed, saying so), and :meth:`ImportWorker.recover`
marks failed the jobs a previous process left unfinished (crash, kill), so no job
stays "running" for ever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from digest.actions import Actor, Operations, imports
from digest.actions.imports import Parsed
from digest.models import Subscriber, SubscriberStatus
from digest.subscribers.csv_file import ImportReport

log = logging.getLogger(__name__)

#: Called with the subscribers a job added who wait for their confirmation mail.
AfterImport = Callable[[list[Subscriber]], None]


class ImportWorker:
    """Runs background imports in threads it tracks, one per job."""

    def __init__(self, ops: Operations, *, after: AfterImport | None = None) -> None:
        self.ops = ops
        self.after = after
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: dict[int, threading.Thread] = {}

    def recover(self) -> list[int]:
        """Mark failed the jobs left unfinished by a process that stopped; their ids."""
        return imports.fail_interrupted(self.ops)

    def submit(self, actor: Actor, parsed: Parsed, *, confirmed: bool) -> int:
        """Queue a job for ``parsed`` (Forbidden for a role that may not import) and
        start it; its id."""
        job_id = imports.start(self.ops, actor, parsed, confirmed=confirmed)
        thread = threading.Thread(
            target=self._run, args=(actor, job_id, parsed, confirmed), name=f"import-{job_id}", daemon=True
        )
        with self._lock:
            self._threads[job_id] = thread
        thread.start()
        return job_id

    def _run(self, actor: Actor, job_id: int, parsed: Parsed, confirmed: bool) -> None:
        try:
            report = imports.run(self.ops, actor, job_id, parsed, confirmed=confirmed, stopping=self._stop.is_set)
            log.info("import finished", extra={"job": job_id, "added": report.added, "rejected": len(report.rejected)})
            self._confirmations(job_id, report)
        except Exception:  # a job's thread must not die silently
            log.exception("import job failed", extra={"job": job_id})
        finally:
            with self._lock:
                self._threads.pop(job_id, None)

    def _confirmations(self, job_id: int, report: ImportReport) -> None:
        waiting = [s for s in report.new if s.status is SubscriberStatus.PENDING]
        if waiting and self.after is not None and not self._stop.is_set():
            try:
                self.after(waiting)
            except Exception:
                log.exception("confirmation mails after an import failed", extra={"job": job_id})

    def running(self) -> list[int]:
        """The ids of the jobs under way in this process."""
        with self._lock:
            return sorted(self._threads)

    def wait(self, job_id: int, timeout: float | None = None) -> bool:
        """Wait for job ``job_id``'s thread to end; False when still running after ``timeout``."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Ask every job to stop after its current step, and wait up to ``timeout``
        seconds for them (a job still writing then is found by :meth:`recover` at the
        next start)."""
        self._stop.set()
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("import job did not stop in time", extra={"thread": thread.name})
