"""The helper processes of a big ``digest send``: started by the send, and tied to it.

Parent side, :func:`start_helpers`: ``count`` processes running ``digest worker
--until-idle --parent-pid=<this process>``, stopped (SIGTERM: they finish the messages on
the wire and release the rest) when the send ends.

Child side, :func:`tie_to_parent`: a helper never outlives its send. Once the parent is
gone (a ``kill -9``, a crash), the helper stops within :data:`EXIT_WITHIN` seconds:

* on Linux the kernel sends it SIGTERM the moment the parent dies
  (``prctl(PR_SET_PDEATHSIG)``), which stops its sender loop like an operator's SIGTERM;
* everywhere, a watchdog thread notices that its parent process changed (the portable
  fallback, and the cover for a parent that died before the ``prctl`` call); it asks the
  loop to stop and ends the process outright if that has not happened in time.

Either way a helper killed mid-send leaves at most its in-flight messages to be sent
again, as the parent does.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence

log = logging.getLogger(__name__)

#: A helper is gone this many seconds after its parent died (graceful stop included).
EXIT_WITHIN = 2.0
#: How often the watchdog looks at the parent, and how long it lets a graceful stop run.
WATCH_EVERY = 0.1
GRACE = 1.2
#: The exit status of a helper ended by the watchdog (its graceful stop overran).
ORPHANED = 3
#: prctl option: the signal this process gets when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1


def helper_command(config_path: str | None, edition_ids: Sequence[int]) -> list[str]:
    """The command line of one helper: ``digest worker --until-idle`` on the same
    editions, tied to this process."""
    command = [sys.executable, "-m", "digest"]
    if config_path:
        command += ["--config", config_path]
    ids = [f"--edition={i}" for i in edition_ids]
    return [*command, "worker", "--until-idle", f"--parent-pid={os.getpid()}", *ids]


@contextlib.contextmanager
def start_helpers(
    command: list[str], count: int, warn: Callable[[str], None]
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start ``count`` helper processes running ``command``; on the way out, stop the
    ones still running and ``warn`` about any that failed."""
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(count)]
        # The death signal is asked for in the child before it even starts Python, so a
        # parent killed while a helper is still importing takes it along too.
        early = _pre_exec_death_signal()
        procs = [
            subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=f, preexec_fn=early)
            for f in logs
        ]
        try:
            yield procs
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()  # they finish their messages in flight and release the rest
            for proc, out in zip(procs, logs, strict=True):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=60)
                if proc.returncode not in (0, None, -signal.SIGTERM):
                    out.seek(0)
                    tail = " ".join(out.read().decode("utf-8", "replace").strip().splitlines()[-1:])
                    warn(f"warning: helper sender {proc.pid} exited with {proc.returncode}: {tail}")


def tie_to_parent(parent_pid: int, stop: Callable[[], object]) -> threading.Thread:
    """Make this (helper) process stop when ``parent_pid`` dies: ``stop`` is called
    (from another thread: it must be thread-safe) and, if the process still runs
    :data:`GRACE` seconds later, it exits with status :data:`ORPHANED`. Returns the
    watchdog thread (a daemon: it never holds up a normal exit)."""
    _death_signal(signal.SIGTERM)
    watchdog = threading.Thread(target=_watch, args=(parent_pid, stop), name="digest-parent-watchdog", daemon=True)
    watchdog.start()
    return watchdog


def _death_signal(sig: signal.Signals) -> bool:
    """Ask the kernel for ``sig`` when the parent dies (Linux only; False elsewhere)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no libc by that name: the watchdog alone
        return False


def _pre_exec_death_signal() -> Callable[[], None] | None:
    """A function for Popen's ``preexec_fn`` that asks for SIGTERM when the parent dies
    (Linux; None elsewhere). libc is loaded here, in the parent: the child between fork
    and exec only makes the one system call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def ask() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    return ask


def _watch(parent_pid: int, stop: Callable[[], object]) -> None:
    # getppid() changes once the parent is gone (the orphan is adopted by init or a
    # subreaper); comparing with the pid given also covers a parent that died early.
    while os.getppid() == parent_pid:
        time.sleep(WATCH_EVERY)
    log.warning("the parent `digest send` is gone: stopping", extra={"parent": parent_pid})
    with contextlib.suppress(Exception):  # the loop may be closing already
        stop()
    time.sleep(GRACE)
    os._exit(ORPHANED)  # the graceful stop overran: go now, as the parent did
