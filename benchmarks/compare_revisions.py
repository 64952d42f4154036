"""`benchmarks/delivery.py --compare REV`: this checkout against another revision, in one
run, interleaved, against the same smtp-sink, with smtp-source as the ceiling.

REV is checked out with ``git worktree add --detach`` in a temporary folder (removed at
the end) and driven through *its own* ``benchmarks/delivery.py``: each revision prepares
its own database with its own schema and code (``prepare_store``), and each measurement
is that revision's ``reset_and_fan_out`` then ``send_rate`` (warmed-up sender processes
released together, send time only), run in a fresh interpreter whose ``sys.path`` starts
with that revision's folder. Rounds alternate ``smtp-source, this, REV`` (DKIM off, then
on), so a machine that slows down slows both; the median of the rounds is printed, with
each revision's share of the ceiling and the ratio this/REV, round by round too.

The imported functions (``prepare_store``, ``reset_and_fan_out``, ``write_config``,
``send_rate``) have had the same signatures since cdcd527, the baseline of issue 28.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Run in a fresh interpreter with argv: ROOT, command, arguments. Imports that
# revision's benchmarks/delivery.py (which puts its ROOT first on sys.path).
DRIVER = """
import json, os, sys
from pathlib import Path
root = Path(sys.argv[1])
sys.path.insert(0, str(root / "benchmarks"))
import delivery as d
from digest.store import Store
command, args = sys.argv[2], sys.argv[3:]
if command == "prepare":
    store, edition_id = d.prepare_store(args[0], int(args[1]))
    store.close()
    print(json.dumps({"edition": edition_id}))
else:
    url, edition_id, folder, port, connections, dkim = args
    cfg = d.write_config(Path(folder), url, int(port), connections=int(connections), processes=1,
                         dkim=Path(dkim) if dkim else None)
    store = Store(url)
    d.reset_and_fan_out(store, int(edition_id))
    store.close()
    rate, sent, cpu_ms = d.send_rate(cfg, int(edition_id), 1)
    print(json.dumps({"rate": rate, "sent": sent, "cpu_ms": cpu_ms}))
"""


@dataclass
class Side:
    """One revision: its folder, its database, its edition, its figures per mode."""

    name: str
    root: Path
    url: str
    edition: int = 0
    rates: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def drive(self, *args: str) -> dict[str, float]:
        """Run the driver in a fresh interpreter for this revision; its JSON answer."""
        env = os.environ | {"DIGEST_SECRET_KEY": "bench-secret-key-0123456789abcdef", "PYTHONPATH": str(self.root)}
        command = [sys.executable, "-c", DRIVER, str(self.root), *args]
        done = subprocess.run(command, env=env, cwd=self.root, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{self.name}: {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
        out = done.stdout
        answer: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        return answer


def checkout(rev: str, folder: Path) -> Path:
    """A detached worktree of ``rev`` in ``folder``, with shared/ reachable beside it
    (the benchmark reads ``ROOT.parent / "shared"``)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(folder / "rev"), rev],
                   check=True, capture_output=True)  # fmt: skip
    shared = ROOT.parent / "shared"
    if not shared.exists():
        shared = Path("/work/shared")
    (folder / "shared").symlink_to(shared)
    return folder / "rev"


def remove_checkout(path: Path) -> None:
    """Remove the worktree and its git bookkeeping."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)


def compare(rev: str, *, messages: int, connections: int, rounds: int, database_url: str) -> None:
    """Measure this checkout and ``rev`` interleaved; print msg/s, % of smtp-source, ratio."""
    import delivery as d  # this checkout's sinks and helpers

    if database_url:
        raise SystemExit("--compare uses two SQLite files (one schema per revision); drop --database-url")
    folder = Path(tempfile.mkdtemp(prefix="digest-compare-"))
    rev_root = checkout(rev, folder)
    label = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True).stdout.strip()  # fmt: skip
    sides = [
        Side(f"this ({label})", ROOT, f"sqlite:///{folder / 'this.db'}"),
        Side(rev, rev_root, f"sqlite:///{folder / 'rev.db'}"),
    ]
    key = folder / "dkim.pem"
    key.write_bytes(d._rsa_pem())
    port = d.free_port()
    sink = d.start_smtp_sink(port)
    source: list[float] = []
    try:
        for side in sides:
            side.edition = int(side.drive("prepare", side.url, str(messages))["edition"])
        sample = d._sample_message(folder, sides[0].url, sides[0].edition)
        print(f"message {len(sample.read_bytes()) / 1024:.1f} KB, {messages:,} subscribers, {connections} connections, "
              f"{rounds} rounds (smtp-source, then each revision in turn, DKIM off and on), smtp-sink")  # fmt: skip
        for n in range(rounds):
            source.append(d.smtp_source(port, sample, connections, max(messages, 2000)))
            for mode in ("off", "on"):
                order = sides if n % 2 == 0 else sides[::-1]
                for side in order:
                    got = side.drive("rate", side.url, str(side.edition), str(folder), str(port), str(connections),
                                     str(key) if mode == "on" else "")  # fmt: skip
                    assert int(got["sent"]) == messages, (side.name, got)
                    side.rates.setdefault(mode, []).append(got["rate"])
                    side.cpu.setdefault(mode, []).append(got["cpu_ms"])
            this, other = sides
            print(f"  round {n + 1}: smtp-source {source[-1]:6.0f} | "
                  + " | ".join(f"DKIM {m}: {this.rates[m][-1]:5.0f} vs {other.rates[m][-1]:5.0f} "
                               f"(x{this.rates[m][-1] / other.rates[m][-1]:.2f})" for m in ("off", "on")),
                  flush=True)  # fmt: skip
        _summary(sides, source)
    finally:
        d._stop(sink)
        remove_checkout(rev_root)
        shutil.rmtree(folder, ignore_errors=True)


def _summary(sides: list[Side], source: list[float]) -> None:
    ceiling = statistics.median(source)
    print(f"smtp-source (ceiling): median {ceiling:.0f} msg/s")
    for mode in ("off", "on"):
        for side in sides:
            rate = statistics.median(side.rates[mode])
            print(f"  DKIM {mode:3s} {side.name:16s} {rate:6.0f} msg/s = {rate / ceiling:5.1%} of smtp-source, "
                  f"{statistics.median(side.cpu[mode]):.2f} CPU ms/msg")  # fmt: skip
        this, other = sides
        pairs = [a / b for a, b in zip(this.rates[mode], other.rates[mode], strict=True)]
        print(f"  DKIM {mode:3s} ratio {this.name} / {other.name}: median x{statistics.median(pairs):.2f} "
              f"(rounds: {', '.join(f'{p:.2f}' for p in pairs)})")  # fmt: skip
