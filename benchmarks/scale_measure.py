"""``benchmarks/scale.py --measure-only``: status and console latency at full size
without the hours a 1M send takes on this machine.

Import and fan-out as the full run does, then one UPDATE puts the delivery rows in the
mix of states a send halfway through has (half sent, 1% waiting for a retry, 0.5%
failed, a few held, one sender's worth in flight, the rest pending); then one real
sender sends pending rows into the sink while ``digest status``, the console's
deliveries page and its live counts are timed ``--probes`` times each.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

#: The mid-send mix, by ``id % 1000`` over the rows after the first half (which are sent):
#: 20 retry (1% of all), 10 failed (0.5%), 1 held, the rest pending; plus 16 rows in
#: flight (one sender's connections) at the boundary.
MIX = """
UPDATE deliveries SET
  state = CASE WHEN id <= %(half)s THEN 'sent'
               WHEN id <= %(half)s + 16 THEN 'sending'
               WHEN id %% 1000 < 20 THEN 'retry'
               WHEN id %% 1000 < 30 THEN 'failed'
               WHEN id %% 1000 = 30 THEN 'held'
               ELSE 'pending' END,
  attempts = CASE WHEN id <= %(half)s + 16 OR id %% 1000 < 31 THEN 1 ELSE 0 END,
  sent_at = CASE WHEN id <= %(half)s THEN %(now)s END,
  last_code = CASE WHEN id <= %(half)s THEN 250 WHEN id <= %(half)s + 16 THEN NULL
                   WHEN id %% 1000 < 20 THEN 451 WHEN id %% 1000 < 30 THEN 550 END,
  last_error = CASE WHEN id <= %(half)s + 16 THEN ''
                    WHEN id %% 1000 < 20 THEN '451 4.7.1 try again later'
                    WHEN id %% 1000 < 30 THEN '550 5.1.1 no such user'
                    WHEN id %% 1000 = 30 THEN 'in flight when its sender stopped' ELSE '' END,
  fault = CASE WHEN id <= %(half)s + 16 THEN '' WHEN id %% 1000 < 20 THEN 'temporary'
               WHEN id %% 1000 < 30 THEN 'reader' ELSE '' END,
  due_at = CASE WHEN id > %(half)s + 16 AND id %% 1000 < 20 THEN %(later)s ELSE due_at END,
  claimed_by = CASE WHEN id > %(half)s AND id <= %(half)s + 16 THEN %(sender)s END,
  lease_until = CASE WHEN id > %(half)s AND id <= %(half)s + 16 THEN %(later)s END,
  updated_at = %(now)s - (id %% 3600) * interval '1 second'
WHERE edition_id = %(edition)s
"""


def mid_send_mix(url: str, edition_id: int) -> dict[str, int]:
    """Put the edition's rows in a send's halfway mix (one UPDATE); rows by state.
    On a connection of its own: a pooled one that already ran small UPDATEs on
    deliveries could hold 0014's counter trigger plan for small ones (see 0016)."""
    import psycopg

    now = datetime.now(UTC)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        first = "SELECT min(id), max(id) FROM deliveries WHERE edition_id = %s"
        low, high = conn.execute(first, (edition_id,)).fetchone() or (0, 0)
        params = {"half": low + (high - low) // 2, "now": now, "later": now + timedelta(hours=1),
                  "sender": "bench-host:1:0", "edition": edition_id}  # fmt: skip
        conn.execute(MIX, params)
        # the rows resent after a crash that `digest status` counts (partial index)
        conn.execute(
            "INSERT INTO delivery_attempts (delivery_id, at, code, message, outcome, sender) "
            "SELECT id, %(now)s, NULL, '', 'in_flight', 'bench-host:1:0' FROM deliveries "
            "WHERE edition_id = %(e)s AND state = 'held'",
            {"now": now, "e": edition_id},
        )
        conn.commit()
        conn.execute("ANALYZE deliveries")
        conn.execute("ANALYZE delivery_attempts")
        rows = conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()
        conn.commit()
    return {str(s): int(n) for s, n in sorted(rows)}


async def measure_only(args: Any, url: str, folder: Path, began: float) -> int:
    """The ``--measure-only`` run; 0 (it checks no outcome: nothing is sent to the end)."""
    from render import NOW
    from scale import Probe, build_database, start_sink
    from scale_report import peak_rss_kb, print_latency

    n = args.subscribers
    store, edition_id = build_database(url, n, args.articles)
    print(f"peak RSS of scale.py after import and fan-out: {peak_rss_kb(os.getpid()) / 1024:.0f} MB", flush=True)
    started = time.perf_counter()
    states = mid_send_mix(url, edition_id)
    print(f"mid-send mix (one UPDATE, counters by trigger, ANALYZE) in {time.perf_counter() - started:.1f} s: "
          f"{states}", flush=True)  # fmt: skip

    sink, senders, _, status = start_sink(folder, url, edition_id, args.connections)
    try:
        async with Probe(senders.config, edition_id, NOW.date().isoformat()) as probe:
            await probe.measure()  # warm-up (imports, templates, pool): not counted
            probe.times.clear()
            senders.start()
            waited = time.perf_counter()  # the sender at work before the first timing
            while _accepted(status) == 0 and time.perf_counter() - waited < 120:
                await asyncio.sleep(0.5)
            before = _accepted(status)
            for _ in range(args.probes):
                senders.sample(sink.pid)
                await probe.measure()
                await asyncio.sleep(0.25)
            latency = probe.times
    finally:
        senders.stop_all()
    accepted = _accepted(status) - before
    senders.sample(sink.pid)
    sink.terminate()
    sink.wait(timeout=60)
    print(f"during the timings one sender ({args.connections} connections) had {accepted:,} more messages accepted")
    print("peak RSS: " + ", ".join(f"{k} {v / 1024:.0f} MB" for k, v in senders.peaks.items()))
    print_latency(latency)
    print(f"total: {time.perf_counter() - began:.1f} s")
    store.close()
    return 0


def _accepted(status: Path) -> int:
    """Messages the sink accepted so far."""
    return int(status.read_text() or 0) if status.exists() else 0
