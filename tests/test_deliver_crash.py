"""`digest send` killed with SIGKILL: its helper processes stop with it, and the
duplicates a kill can make are at most the messages in flight on its connections."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from delivery_support import add_edition, add_subscribers, delivered_to
from smtp_server import SMTPServer
from sqlalchemy import select
from test_deliver_cli import SECRET, write_config
from test_deliver_processes import settled_states, start_send, states

from digest.cli import cli
from digest.daily.helper_processes import EXIT_WITHIN, GRACE, ORPHANED, WATCH_EVERY
from digest.store import Store
from digest.store import tables as t

ROOT = Path(__file__).resolve().parent.parent
KILLS = 20
CONNECTIONS = 4
PROCESSES = 2  # `digest send` and one helper while 1,000 or more rows are due


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its reaper counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def children(pid: int) -> list[int]:
    with contextlib.suppress(FileNotFoundError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def in_sending(store: Store) -> set[str]:
    """The addresses whose rows are marked sending (what a crash left in flight)."""
    query = (
        select(t.subscribers.c.email)
        .join(t.deliveries, t.deliveries.c.subscriber_id == t.subscribers.c.id)
        .where(t.deliveries.c.state == "sending")
    )
    with store.engine.connect() as conn:
        return {e.lower() for e in conn.execute(query).scalars()}


def sending_from(store: Store, pid: int) -> bool:
    """Whether the process ``pid`` holds a claim on some row."""
    with store.engine.connect() as conn:
        senders = conn.execute(select(t.deliveries.c.claimed_by).distinct()).scalars()
        return any(f":{pid}:" in (s or "") for s in senders)


@pytest.mark.slow(seconds=8)
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc to find the helper process")
def test_helper_processes_exit_within_two_seconds_of_the_parents_sigkill(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    add_subscribers(store, 1500, now=now)
    add_edition(store, day=now.date(), now=now)
    config = write_config(tmp_path, db_url, smtp, "rate_per_second = 100\n")
    config.write_text(config.read_text().replace("processes = 1", "processes = 2"))
    proc = start_send(config, now.date().isoformat(), tmp_path / "send.log")
    try:
        deadline = time.monotonic() + 60
        helpers: list[int] = []
        while not (helpers and sending_from(store, helpers[0])):  # the helper sends too
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "send.log").read_text()
            helpers = children(proc.pid)
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # the parent only
        killed = time.monotonic()
        proc.wait()
        while not all(gone(h) for h in helpers) and time.monotonic() - killed < 10:
            time.sleep(0.01)
        took = time.monotonic() - killed
        assert took <= EXIT_WITHIN, f"helpers {helpers} still ran {took:.2f}s after their parent's SIGKILL"
        after = len(smtp.received)
        time.sleep(0.5)
        assert len(smtp.received) == after  # nothing sends any more
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_watchdog_stops_a_helper_whose_parent_is_gone_even_without_a_death_signal(tmp_path: Path) -> None:
    # The portable fallback alone: the watchdog sees a parent pid that is not its parent
    # any more, asks for a stop, and ends the process when the stop does not come.
    code = (
        "import os, sys\n"
        "from digest.daily.helper_processes import _watch\n"
        "_watch(os.getppid() + 1000000, lambda: print('stop asked', flush=True))\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    took = time.monotonic() - started
    assert done.stdout.strip() == "stop asked", done.stderr
    assert done.returncode == ORPHANED
    assert GRACE <= took < GRACE + WATCH_EVERY + 5  # interpreter start-up included


@pytest.mark.slow(seconds=50)
def test_twenty_kills_at_random_moments_duplicate_at_most_the_connections_in_flight(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 2000, now=now)
    add_edition(store, day=now.date(), now=now)
    day = now.date().isoformat()
    config = write_config(tmp_path, db_url, smtp).read_text()
    config = config.replace("connections = 3", f"connections = {CONNECTIONS}")
    config = config.replace("processes = 1", f"processes = {PROCESSES}")
    (tmp_path / "digest.toml").write_text(config)
    in_flight = CONNECTIONS * PROCESSES  # the most messages on the wire at any moment
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    # Per kill: the rows it left in flight whose message the server took during that run
    # (accepted, outcome not written: they will be sent again).
    exposed: list[set[str]] = []
    for kill in range(KILLS):
        log = tmp_path / f"send{kill}.log"
        before = len(smtp.received)
        wanted = rng.randint(0, 25)  # 0: kill at a random moment of the start-up
        proc = start_send(tmp_path / "digest.toml", day, log)
        try:
            if wanted == 0:
                time.sleep(rng.uniform(0.0, 1.5))
            deadline = time.monotonic() + 60
            while len(smtp.received) < before + wanted and proc.poll() is None:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.02))
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.returncode in (0, -signal.SIGKILL), log.read_text()
        time.sleep(0.1)  # a message whose data had all arrived is recorded by now
        settled_states(store)  # and a COMMIT sent just before the kill has landed
        taken = set(delivered_to(smtp.received[before:]))
        exposed.append(in_sending(store) & taken)
    assert 0 < states(store).get("sent", 0) < 2000, f"seed {seed}"

    again = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "digest.toml"), "send", "--date", day], env={"DIGEST_SECRET_KEY": SECRET}
    )
    assert again.exit_code == 0, again.output
    got = delivered_to(smtp.received)
    assert set(got) == set(addresses)  # everyone got the edition
    assert states(store) == {"sent": 2000}
    twice = {a for a, n in got.items() if n > 1}
    # A duplicate is a message the server took whose outcome a kill left unwritten, and
    # each kill leaves at most one per connection of its processes.
    per_kill = [len(rows) for rows in exposed]
    assert max(per_kill) <= in_flight, f"seed {seed}: sent but unwritten per kill {per_kill}"
    assert twice <= set().union(*exposed), f"seed {seed}"
    assert sum(n - 1 for n in got.values()) <= sum(per_kill), f"seed {seed}"
