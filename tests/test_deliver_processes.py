"""Sender processes for real: a `digest send` killed with SIGKILL in the middle of a
2,000-subscriber send and run again, and two `digest send` processes at once."""

from __future__ import annotations

import contextlib
import os
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
from sqlalchemy import func, select
from test_deliver_cli import SECRET, write_config

from digest.cli import cli
from digest.store import Store
from digest.store import tables as t

ROOT = Path(__file__).resolve().parent.parent


def start_send(config: Path, day: str, log: Path) -> subprocess.Popen[bytes]:
    """`digest send` in a process group of its own (its helper processes join it)."""
    env = os.environ | {"DIGEST_SECRET_KEY": SECRET}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "digest", "--config", str(config), "send", "--date", day],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def states(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.deliveries.c.state, func.count()).group_by(t.deliveries.c.state)).all()
    return {state: int(n) for state, n in rows}


def settled_states(store: Store) -> dict[str, int]:
    """The state counts once they stop changing: a COMMIT the killed process sent just
    before SIGKILL is still carried out by its PostgreSQL backend after the process is
    gone, so the first read may be one outcome early."""
    seen = states(store)
    for _ in range(50):
        time.sleep(0.2)
        again = states(store)
        if again == seen:
            return seen
        seen = again
    raise AssertionError(f"delivery states still changing after the kill: {seen}")


@pytest.mark.slow(seconds=17)
def test_sigkill_mid_send_then_send_again_reaches_everyone_duplicating_only_what_was_in_flight(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 2000, now=now)
    add_edition(store, day=now.date(), now=now)
    day = now.date().isoformat()
    # paced so the kill lands mid-send; `processes = 2`: the send has a helper process too
    config = write_config(tmp_path, db_url, smtp, "rate_per_second = 300\n").read_text()
    config = config.replace("processes = 1", "processes = 2")
    (tmp_path / "digest.toml").write_text(config)
    proc = start_send(tmp_path / "digest.toml", day, tmp_path / "send.log")
    try:
        while len(smtp.received) < 300:
            assert proc.poll() is None, (tmp_path / "send.log").read_text()
            with contextlib.suppress(AssertionError):
                smtp.wait_for(300, timeout=0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    at_crash = settled_states(store)
    in_flight = at_crash.get("sending", 0)
    assert 0 < at_crash.get("sent", 0) < 2000, (at_crash, (tmp_path / "send.log").read_text())

    (tmp_path / "digest.toml").write_text(config.replace("rate_per_second = 300", "rate_per_second = 0"))
    again = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "digest.toml"), "send", "--date", day], env={"DIGEST_SECRET_KEY": SECRET}
    )
    assert again.exit_code == 0, again.output
    got = delivered_to(smtp.received)
    assert set(got) == set(addresses)  # every subscriber received the edition
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= in_flight
    assert states(store) == {"sent": 2000}
    if in_flight:
        assert f"{in_flight} were in flight when a sender stopped and were sent again" in again.output
    status = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "digest.toml"), "status", "--date", day], env={"DIGEST_SECRET_KEY": SECRET}
    )
    assert f"{in_flight} resent after a sender stopped mid-send" in status.output or in_flight == 0


@pytest.mark.slow(seconds=8)
def test_two_send_processes_at_once_mail_each_subscriber_exactly_once(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 1200, now=now)
    add_edition(store, day=now.date(), now=now)
    config = write_config(tmp_path, db_url, smtp, "rate_per_second = 400\nbatch_size = 50\n")
    day = now.date().isoformat()
    procs = [start_send(config, day, tmp_path / f"send{i}.log") for i in range(2)]
    for i, proc in enumerate(procs):
        assert proc.wait(timeout=120) == 0, (tmp_path / f"send{i}.log").read_text()
    got = delivered_to(smtp.received)
    assert got == {a: 1 for a in addresses}
    assert states(store) == {"sent": 1200}
    with store.engine.connect() as conn:
        senders = conn.execute(select(func.count(func.distinct(t.delivery_attempts.c.sender)))).scalar_one()
    assert senders == 2  # both processes sent a share
