"""A national newsletter's send on PostgreSQL: N subscribers, K sender processes, a
server that throttles and fails, and one sender killed in the middle.

    .venv/bin/python benchmarks/scale.py --subscribers 1000000 --senders 2
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--connections 8]

1. creates a database of its own next to ``--database-url``'s (default: the
   DIGEST_TEST_DATABASE_URL server) and drops it at the end; the schema by migrations;
2. imports N confirmed subscribers with COPY (target: 1M under 2 minutes);
3. fans out one real edition (benchmarks/render.py's briefing, ~50 KB) with the
   operator's fan-out (target: 1M under 1 minute);
4. sends with K ``digest worker --until-idle`` processes (the service's sender loop)
   into benchmarks/scale_sink.py (250 to most, 451 to 1% the first time, 550 to 0.5%,
   421 now and then); at half of N accepted, one sender is killed with SIGKILL and
   started again; when every sender is idle and 4xx retries wait, they are started
   again when those fall due;
5. meanwhile measures the server time of ``digest status`` (daily.status, what the
   command prints) and of the console's deliveries page and its live counts (through
   the ASGI app: no network), each under 300 ms as the target;
6. checks: every subscriber not refused for good got exactly one message, except the
   ones in flight at the kill (counted and listed); every 4xx was retried and
   delivered; every 5xx suppressed. Prints peak RSS per process at 100k accepted and at
   the end, and the times. Exits 1 when a check fails.

``--measure-only [--probes 30]`` (benchmarks/scale_measure.py) skips the full send: after
import and fan-out, one UPDATE puts the rows in a halfway mix of states, then one sender
sends a slice while status, the console page and the live counts are timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale_report import Checks, check_outcomes, peak_rss_kb, print_latency  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef"
PASSWORD = "benchmark password 123"
DEFAULT_URL = os.environ.get("DIGEST_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


# The database --------------------------------------------------------------------------


def create_database(url: str) -> str:
    """A new empty database on ``url``'s server; its URL."""
    base = make_url(url)
    name = f"digest_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres", query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name, query={}).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database ``create_database`` made (closing what still uses it)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                     {"d": target.database})  # fmt: skip
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
    admin.dispose()


def import_subscribers(url: str, count: int, now: datetime) -> None:
    """``count`` confirmed subscribers by COPY, in blocks of 50,000 rows."""
    import psycopg

    names = ("Zoé Dupont", "Karim Benali", "", "Anne-Sophie Lefèvre", "John Smith", "Fatima Zahra El Idrissi")
    stamp = now.isoformat()
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        columns = "email, name, language, status, created_at, updated_at, confirmed_at"
        with cur.copy(f"COPY subscribers ({columns}) FROM STDIN") as copy:
            for start in range(0, count, 50_000):
                block = "".join(
                    f"reader{i}@example{i % 7}.org\t{names[i % len(names)]}\tfr\tconfirmed\t{stamp}\t{stamp}\t{stamp}\n"
                    for i in range(start, min(count, start + 50_000))
                )
                copy.write(block.encode("utf-8"))
        cur.execute("ANALYZE subscribers")


# Sender processes ----------------------------------------------------------------------


@dataclass
class Senders:
    """The ``digest worker --until-idle`` processes and what they cost."""

    config: Path
    edition_id: int
    log: Path
    running: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)  # "sender <pid>" -> peak RSS KB
    started: int = 0

    def start(self) -> subprocess.Popen[bytes]:
        """One more sender process."""
        env = os.environ | {"DIGEST_SECRET_KEY": SECRET}
        command = [sys.executable, "-m", "digest", "--config", str(self.config), "worker", "--until-idle",
                   "--edition", str(self.edition_id)]  # fmt: skip
        with self.log.open("ab") as out:
            proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self.running[proc.pid] = proc
        self.started += 1
        return proc

    def sample(self, sink_pid: int) -> None:
        """Note the peak RSS (VmHWM) of every running sender, the sink and this process.
        (Sampled every half second: a child's ru_maxrss on Linux counts the memory of the
        parent it was forked from, so wait4's figure would be this script's.)"""
        for name, pid in [*((f"sender {p}", p) for p in self.running), ("sink", sink_pid),
                          ("scale.py (status, console)", os.getpid())]:  # fmt: skip
            self.peaks[name] = max(self.peaks.get(name, 0), peak_rss_kb(pid))

    def reap(self) -> list[int]:
        """Collect the senders that exited; their exit codes."""
        codes = []
        for pid, proc in list(self.running.items()):
            if proc.poll() is None:
                continue
            codes.append(proc.returncode)
            del self.running[pid]
        return codes

    def kill_one(self) -> int:
        """SIGKILL the oldest running sender; its pid."""
        pid = min(self.running)
        os.kill(pid, signal.SIGKILL)
        self.running[pid].wait()
        self.reap()
        return pid

    def stop_all(self) -> None:
        """SIGTERM whatever still runs (an interrupted benchmark)."""
        for proc in self.running.values():
            proc.terminate()
        for proc in self.running.values():
            proc.wait()


def write_config(folder: Path, url: str, port: int, connections: int) -> Path:
    """The senders' digest.toml: the sink, one process each, 4xx retried after ~2 s, no DKIM."""
    import delivery

    return delivery.write_config(folder, url, port, connections=connections, processes=1, dkim=None,
                                 smtp_extra="retry_base_seconds = 2")  # fmt: skip


# Latency during the send ----------------------------------------------------------------


@dataclass
class Probe:
    """`digest status`, the console's deliveries page and its live counts, timed."""

    config: Path
    edition_id: int
    day: str
    times: dict[str, list[float]] = field(default_factory=dict)

    async def __aenter__(self) -> Probe:
        import httpx

        from digest import config
        from digest.admins import Role, hash_password
        from digest.store import Store
        from digest.store.admins import add_admin
        from digest.web.app import create_app

        os.environ["DIGEST_SECRET_KEY"] = SECRET
        self.settings = config.load(self.config)
        self.store = Store(self.settings.database_url)
        add_admin(self.store, "owner@example.org", Role.OWNER, hash_password(PASSWORD), now=datetime.now(UTC))
        transport = httpx.ASGITransport(app=create_app(self.settings, self.store))
        # The public address: the console checks the origin of its forms against it.
        self.client = httpx.AsyncClient(transport=transport, base_url=self.settings.newsletter.base_url,
                                        headers={"Accept-Language": "en"})  # fmt: skip
        form = await self.client.get("/admin/login")
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = await self.client.post("/admin/login", data={"email": "owner@example.org", "password": PASSWORD,
                                                               "csrf_token": token})  # fmt: skip
        assert signed.status_code == 303, signed.text[:300]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.aclose()
        self.store.close()

    async def measure(self) -> None:
        """One timing of each."""
        from datetime import date

        from digest.daily.status import delivery_status

        started = time.perf_counter()
        delivery_status(self.store, self.settings, date.fromisoformat(self.day), now=datetime.now(UTC))
        self._note("digest status (server time)", started)
        for name, path in (("console /admin/deliveries", "/admin/deliveries"),
                           ("console live counts", f"/admin/deliveries/counts?ids={self.edition_id}")):  # fmt: skip
            started = time.perf_counter()
            page = await self.client.get(path)
            assert page.status_code == 200, page.text[:300]
            self._note(name, started)

    def _note(self, name: str, started: float) -> None:
        self.times.setdefault(name, []).append((time.perf_counter() - started) * 1000)


# The run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8, help="[smtp] connections per sender")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server (its database is not used)")
    parser.add_argument("--articles", type=int, default=500, help="OrangeSum texts the edition is built from")
    parser.add_argument("--measure-only", action="store_true",
                        help="no full send: import, fan-out, a mid-send mix of states by one UPDATE, then the "
                             "status and console timings while one sender sends a slice")  # fmt: skip
    parser.add_argument("--probes", type=int, default=30, help="timings of each (--measure-only)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("scale.py runs on PostgreSQL: give --database-url postgresql+psycopg://...")
    began = time.perf_counter()
    url = create_database(args.database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="digest-scale-") as tmp:
            if args.measure_only:
                from scale_measure import measure_only

                return asyncio.run(measure_only(args, url, Path(tmp), began))
            return asyncio.run(run(args, url, Path(tmp), began))
    finally:
        drop_database(url)


def build_database(url: str, n: int, articles: int) -> tuple[Any, int]:
    """The schema and the edition, ``n`` subscribers imported by COPY and the edition
    fanned out to them, each step timed and printed: the store and the edition's id."""
    import delivery
    from render import NOW

    from digest.daily.build import fan_out_now
    from digest.store.editions import get_edition

    store, edition_id = delivery.prepare_store(url, 0, articles=articles)
    started = time.perf_counter()
    import_subscribers(url, n, NOW)
    print(f"import: {n:,} subscribers by COPY in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    fan_out_now(store, [get_edition(store, edition_id)], now=datetime.now(UTC))
    print(f"fan-out: {n:,} delivery rows in {time.perf_counter() - started:.1f} s", flush=True)
    return store, edition_id


def start_sink(
    folder: Path, url: str, edition_id: int, connections: int
) -> tuple[subprocess.Popen[bytes], Senders, Path, Path]:
    """The sink on a free port (its report and its accepted count in ``folder``) and the
    senders' configuration pointing at it: (sink, senders, report path, count path)."""
    import delivery

    port = delivery.free_port()
    report, status = folder / "sink.json", folder / "sink.count"
    sink = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "scale_sink.py"), str(port), str(report),
                             "--status", str(status)])  # fmt: skip
    delivery.wait_port(port)
    senders = Senders(write_config(folder, url, port, connections), edition_id, folder / "senders.log")
    return sink, senders, report, status


async def run(args: argparse.Namespace, url: str, folder: Path, began: float) -> int:
    from render import NOW

    n = args.subscribers
    store, edition_id = build_database(url, n, args.articles)
    sink, senders, report, status = start_sink(folder, url, edition_id, args.connections)
    checks = Checks()
    killed_at, in_flight, peaks_100k = 0, list[tuple[int, str]](), dict[str, int]()
    sending_started = time.perf_counter()
    passes = 1
    checkpoint = min(100_000, n // 2)
    try:
        async with Probe(senders.config, edition_id, NOW.date().isoformat()) as probe:
            for _ in range(args.senders):
                senders.start()
            while True:
                accepted = int(status.read_text() or 0) if status.exists() else 0
                if not killed_at and accepted >= n // 2 and senders.running:
                    pid = senders.kill_one()
                    killed_at = accepted
                    in_flight = in_flight_of(store, pid)
                    print(f"killed sender {pid} (SIGKILL) at {accepted:,} accepted; {len(in_flight)} of its "
                          f"messages were in flight; started it again", flush=True)  # fmt: skip
                    senders.start()
                senders.sample(sink.pid)
                if not peaks_100k and accepted >= checkpoint:
                    peaks_100k = dict(senders.peaks)
                await probe.measure()
                senders.reap()
                if not senders.running:
                    due_later = waiting_rows(store, edition_id)
                    if due_later is None:
                        break
                    if passes >= 8:
                        checks.fail(f"still {due_later} rows waiting after {passes} passes")
                        break
                    await asyncio.sleep(max(0.0, (due_later - datetime.now(UTC)).total_seconds()) + 0.2)
                    passes += 1
                    for _ in range(args.senders):
                        senders.start()
                await asyncio.sleep(0.5)
            send_seconds = time.perf_counter() - sending_started
            latency = probe.times
    finally:
        senders.stop_all()
    senders.sample(sink.pid)
    final_peaks = dict(senders.peaks)
    sink.send_signal(signal.SIGTERM)
    sink.wait(timeout=60)
    print(f"send: {n:,} subscribers, {args.senders} senders x {args.connections} connections, "
          f"{senders.started} sender processes started ({passes} passes), {send_seconds:.1f} s "
          f"({n / send_seconds:.0f} msg/s)")  # fmt: skip
    check_outcomes(checks, store, edition_id, report, in_flight, n)
    print(f"peak RSS at {checkpoint:,} accepted: " + ", ".join(f"{k} {v / 1024:.0f} MB" for k, v in peaks_100k.items()))
    print("peak RSS at the end: " + ", ".join(f"{k} {v / 1024:.0f} MB" for k, v in final_peaks.items()))
    print_latency(latency)
    print(f"total: {time.perf_counter() - began:.1f} s")
    store.close()
    return checks.verdict()


def in_flight_of(store: object, pid: int) -> list[tuple[int, str]]:
    """The rows a killed sender had marked ``sending``: (delivery id, address)."""
    from digest.store import Store

    assert isinstance(store, Store)
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT d.id, s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
                 "WHERE d.state = 'sending' AND d.claimed_by LIKE :who ORDER BY d.id"),
            {"who": f"%:{pid}:%"},
        ).all()  # fmt: skip
    return [(int(r[0]), str(r[1])) for r in rows]


def waiting_rows(store: object, edition_id: int) -> datetime | None:
    """When the next waiting row of the edition falls due (None: nothing waits)."""
    from digest.store import Store

    assert isinstance(store, Store)
    with store.engine.connect() as conn:
        due = conn.execute(
            text(
                "SELECT min(due_at) FROM deliveries WHERE edition_id = :e AND state IN ('pending', 'retry', 'sending')"
            ),
            {"e": edition_id},
        ).scalar()
    if due is None:
        return None
    return due if due.tzinfo else due.replace(tzinfo=UTC)


if __name__ == "__main__":
    sys.exit(main())
