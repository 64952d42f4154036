"""benchmarks/scale.py's checks and printouts: what the sink accepted against what the
delivery table says, peak memory per process, latency figures."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text


@dataclass
class Checks:
    """Failed checks, printed as they come; the exit status at the end."""

    failures: list[str] = field(default_factory=list)

    def fail(self, why: str) -> None:
        """Record and print a failed check."""
        self.failures.append(why)
        print(f"CHECK FAILED: {why}", flush=True)

    def expect(self, ok: bool, why: str) -> None:
        """Fail with ``why`` unless ``ok``."""
        if not ok:
            self.fail(why)

    def verdict(self) -> int:
        """0 when every check passed, else 1."""
        print("all checks passed" if not self.failures else f"{len(self.failures)} checks failed")
        return 1 if self.failures else 0


def address(i: int) -> str:
    """The address of subscriber number ``i`` (as scale.py imports them)."""
    return f"reader{i}@example{i % 7}.org"


def check_outcomes(
    checks: Checks, store: Any, edition_id: int, report_path: Path, in_flight: list[tuple[int, str]], n: int
) -> None:
    """Every subscriber not refused for good got exactly one message, except those in
    flight at the kill; 4xx retried and delivered; 5xx failed and suppressed.

    A 451 answered to a message in flight at the kill may never have been recorded (the
    sender died before writing it): that row is resent by the in-flight policy and
    delivered with no retry attempt, so the retry count is checked on the others."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    accepted: dict[str, int] = report["accepted"]
    permanent, temporary = set(report["permanent"]), set(report["temporary"])
    expected = [a for a in map(address, range(n)) if a not in permanent]
    missing = [a for a in expected if accepted.get(a, 0) == 0]
    twice = {a: c for a, c in accepted.items() if c > 1}
    flying = {a for _, a in in_flight}
    print(f"sink: {sum(accepted.values()):,} messages accepted for {len(accepted):,} addresses, {len(temporary)} "
          f"refused with 451 once, {len(permanent)} with 550, {report['throttled']} throttled (421)")  # fmt: skip
    print(f"in flight at the kill: {len(in_flight)}: " + ", ".join(f"#{i} {a}" for i, a in in_flight))
    print(f"delivered twice: {len(twice)}: " + ", ".join(f"{a} x{c}" for a, c in sorted(twice.items())))
    checks.expect(not missing, f"{len(missing)} subscribers got no message: {missing[:20]}")
    checks.expect(set(twice) <= flying, f"duplicates not in flight at the kill: {sorted(set(twice) - flying)[:20]}")
    checks.expect(all(c == 2 for c in twice.values()), f"a message went out more than twice: {twice}")
    checks.expect(not (set(accepted) - set(expected)), "the sink accepted a message for an unknown or refused address")
    with store.engine.connect() as conn:
        states = dict(conn.execute(text("SELECT state, count(*) FROM deliveries WHERE edition_id = :e GROUP BY state"),
                                   {"e": edition_id}).all())  # fmt: skip
        retried = conn.execute(
            text("SELECT count(DISTINCT d.id) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
                 "JOIN delivery_attempts a ON a.delivery_id = d.id "
                 "WHERE d.edition_id = :e AND d.state = 'sent' AND a.outcome = 'retry' AND s.email = ANY(:emails)"),
            {"e": edition_id, "emails": sorted(temporary - flying)},
        ).scalar_one()  # fmt: skip
        bounced = conn.execute(
            text("SELECT count(*) FROM subscribers WHERE status = 'bounced' AND email = ANY(:emails)"),
            {"emails": sorted(permanent)},
        ).scalar_one()
        suppressions = conn.execute(text("SELECT count(*) FROM suppressions")).scalar_one()
    print(f"delivery rows by state: {dict(sorted(states.items()))}; 4xx retried then sent: {retried} of "
          f"{len(temporary - flying)}; 5xx suppressed: {bounced} of {len(permanent)} ({suppressions} suppressions); "
          f"{len(temporary & flying)} refused with 451 were in flight at the kill")  # fmt: skip
    sent, failed = states.get("sent", 0), states.get("failed", 0)
    checks.expect(sent == len(expected), f"{sent} rows sent, {len(expected)} expected")
    checks.expect(failed == len(permanent), f"{failed} rows failed, {len(permanent)} refused")
    later = len(temporary - flying)
    checks.expect(retried == later, f"only {retried} of {later} 4xx were retried and sent")
    checks.expect(bounced == len(permanent) and suppressions >= len(permanent), "a 5xx address was not suppressed")


def peak_rss_kb(pid: int) -> int:
    """A live process's peak resident memory (VmHWM), KB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def print_latency(times: dict[str, list[float]]) -> None:
    """Median, p95 and max server time of each probe (target: under 300 ms)."""
    print("server time during the send (ms):")
    for name, values in times.items():
        values = sorted(values)
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        flag = "" if values[-1] < 300 else "  (over 300 ms)"
        print(f"  {name:<30} n={len(values):<4} median {statistics.median(values):7.1f}  p95 {p95:7.1f}  "
              f"max {values[-1]:7.1f}{flag}")  # fmt: skip
