"""benchmarks/scale.py at a small size (600 subscribers) on PostgreSQL: the run the README
records at larger sizes (COPY import, fan-out, two `digest worker` senders into a sink that
throttles and fails, one sender SIGKILLed halfway and restarted); its checks must pass."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
URL = os.environ.get("DIGEST_TEST_DATABASE_URL", "")


@pytest.mark.slow
@pytest.mark.skipif(not URL, reason="DIGEST_TEST_DATABASE_URL not set")
def test_scale_run_delivers_each_message_once_except_in_flight_at_the_kill() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--subscribers", "600", "--senders", "2",
         "--articles", "40", "--database-url", URL],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    assert "all checks passed" in out
    killed = re.search(r"killed sender \d+ \(SIGKILL\) at [\d,]+ accepted; (\d+) of its messages were in flight", out)
    twice = re.search(r"delivered twice: (\d+)", out)
    assert killed and twice and int(twice.group(1)) <= int(killed.group(1))
    # the sink refused some for a while and some for good, and each was handled
    retried = re.search(r"4xx retried then sent: (\d+) of (\d+); 5xx suppressed: (\d+) of (\d+)", out)
    assert retried and retried.group(1) == retried.group(2) and retried.group(3) == retried.group(4)
    assert int(retried.group(2)) > 0 and int(retried.group(4)) > 0
    for line in ("import: 600 subscribers by COPY", "fan-out: 600 delivery rows", "peak RSS at the end",
                 "digest status (server time)", "console live counts", "total: "):  # fmt: skip
        assert line in out, out


@pytest.mark.slow
@pytest.mark.skipif(not URL, reason="DIGEST_TEST_DATABASE_URL not set")
def test_measure_only_puts_rows_mid_send_and_times_status_while_a_sender_sends() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--subscribers", "3000", "--measure-only",
         "--probes", "3", "--articles", "40", "--database-url", URL],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    mix = re.search(r"mid-send mix .*?: (\{.*\})", out)
    assert mix, out
    states = ast.literal_eval(mix.group(1))  # the dict the script printed
    assert states["sent"] == 1500 and states["sending"] == 16 and sum(states.values()) == 3000
    assert states["retry"] > 0 and states["failed"] > 0 and states["held"] > 0 and states["pending"] > 0
    accepted = re.search(r"one sender \(8 connections\) had ([\d,]+) more messages accepted", out)
    assert accepted, out
    for line in ("digest status (server time)    n=3", "console /admin/deliveries", "console live counts"):
        assert line in out, out
