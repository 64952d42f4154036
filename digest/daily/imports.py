"""The console's background imports: the worker that runs them in the service process.

A file over ``[web] import_background_rows`` rows is imported by a job
(:mod:`digest.actions.imports`) in a thread of this worker, so the upload is answered
at once with a page that follows the job's progress. The worker keeps every thread it
starts: :meth:`ImportWorker.shutdown` asks them to stop between two steps (each job's
``stopping`` turns true) and waits for them, so a job cut short ends as failed and says
so; jobs a previous process left unfinished (crash, kill) are found by their silent
heartbeat (:func:`digest.actions.imports.fail_interrupted`), so no job stays
"running" for ever.

The worker knows nothing of what a job does: the web app hands it the work (the
action layer already depends on this package, which must not depend on it back).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

#: A job's work: called in the job's thread with ``stopping``, which turns true when the
#: service shuts down (the work checks it between two steps).
Work = Callable[[Callable[[], bool]], object]


class ImportWorker:
    """Runs background jobs in threads it tracks, one per job id."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: dict[int, threading.Thread] = {}

    def submit(self, job_id: int, work: Work) -> None:
        """Start ``work`` for job ``job_id`` in a thread of its own (RuntimeError once
        the worker is shutting down: a job started then could not finish)."""
        if self._stop.is_set():
            raise RuntimeError("the import worker is shutting down")
        thread = threading.Thread(target=self._run, args=(job_id, work), name=f"import-{job_id}", daemon=True)
        with self._lock:
            self._threads[job_id] = thread
        thread.start()

    def _run(self, job_id: int, work: Work) -> None:
        try:
            work(self._stop.is_set)
        except Exception:  # a job's thread must not die silently
            log.exception("import job failed", extra={"job": job_id})
        finally:
            with self._lock:
                self._threads.pop(job_id, None)

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
        seconds for each (a job still writing then is marked failed at the next start,
        by its silent heartbeat)."""
        self._stop.set()
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("import job did not stop in time", extra={"thread": thread.name})
