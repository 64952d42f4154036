"""Time the `digest` command's start-up: each command run as a subprocess, N times.

    .venv/bin/python benchmarks/cli_startup.py [--runs 15] [--check] [--sender]

Prints, per command, the median, fastest and slowest wall time of ``digest ARGS`` (the
console script next to this Python, else ``python -m digest``) and its median CPU
time, and the same for a bare ``python -c pass`` (the interpreter's own start-up, which no change to digest can
remove). The target (issue 21) is a median under 0.25 s for the three help commands:
only click and digest.cli are imported for them, each command's module only when it is
run or its help is asked. ``--check`` exits 1 when a median is over the target.

``--sender`` adds what a sender process costs to start, on a fresh SQLite database (made
with `digest init` in a temporary directory): ``digest worker --until-idle`` with nothing
due (start, schema check, composer, one empty claim, exit: what a helper of `digest send`
or a sender restarted by systemd pays before its first message) and ``digest status``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The commands timed, as arguments to `digest`.
COMMANDS: tuple[tuple[str, ...], ...] = (("--help",), ("status", "--help"), ("summarize", "--help"))
#: The target for each command's median (seconds).
TARGET_SECONDS = 0.25


def digest_command() -> list[str]:
    """The installed `digest` script beside this interpreter, else ``python -m digest``."""
    script = Path(sys.executable).with_name("digest")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "digest"]


def timings(argv: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of ``runs`` runs of ``argv`` (output
    discarded; a failure stops). CPU time says less about the other processes of a
    busy machine than wall time does."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wall.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def sender_rows(base: list[str], runs: int) -> None:
    """Print the start-up cost of a sender process (``--sender``): wall and CPU medians."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "digest.toml"
        config.write_text(
            f'[newsletter]\nlanguages = ["fr"]\n[database]\nurl = "sqlite:///{tmp}/digest.db"\n'
            '[smtp]\nhost = "127.0.0.1"\nport = 9\nconnections = 1\nprocesses = 1\n',
            encoding="utf-8",
        )
        env = {**os.environ, "DIGEST_SECRET_KEY": "benchmark-secret-key-0123456789abcdef"}
        subprocess.run([*base, "--config", str(config), "init"], check=True, stdout=subprocess.DEVNULL, env=env)
        for label, args in (("worker --until-idle", ["worker", "--until-idle"]), ("status", ["status"])):
            seconds, cpu = timings([*base, "--config", str(config), *args], runs, env)
            print(
                f"{'digest ' + label:<26} {statistics.median(seconds):8.3f} {min(seconds):8.3f} "
                f"{max(seconds):8.3f} {statistics.median(cpu):8.3f}"
            )


def main() -> int:
    """Print the table; with --check, 1 when a command's median is over the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when a median is over {TARGET_SECONDS} s")
    parser.add_argument("--sender", action="store_true", help="also time a sender process's start (see above)")
    args = parser.parse_args()
    base = digest_command()
    timings([*base, "--help"], 2)  # warm the file cache (and .pyc files) first
    print(f"{'command':<26} {'median':>8} {'fastest':>8} {'slowest':>8} {'CPU':>8}   ({args.runs} runs, seconds)")
    over = []
    rows = [(("python -c pass"), [sys.executable, "-c", "pass"])]
    rows += [("digest " + " ".join(c), base + list(c)) for c in COMMANDS]
    for label, argv in rows:
        seconds, cpu = timings(argv, args.runs)
        median = statistics.median(seconds)
        print(f"{label:<26} {median:8.3f} {min(seconds):8.3f} {max(seconds):8.3f} {statistics.median(cpu):8.3f}")
        if label.startswith("digest") and median > TARGET_SECONDS:
            over.append(label)
    if args.sender:
        sender_rows(base, args.runs)
    if over:
        print(f"over the {TARGET_SECONDS} s target: {', '.join(over)}")
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
