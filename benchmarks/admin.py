"""The console's subscriber search with 100,000 subscribers: server time per page.

    .venv/bin/python benchmarks/admin.py [--subscribers 100000] [--repeat 20] [--database-url URL]

Seeds a SQLite file (or --database-url) with N subscribers (varied names, languages,
topics, statuses and dates), signs an admin in, and requests /admin/subscribers with
several filters and sort orders through the ASGI app itself (httpx's ASGITransport: no
network, so the time is the server's: routing, session check, both queries and the
template). Prints the median and the 95th percentile per query, then the same without
the migration's subscriber indexes, for comparison. The issue's bar: under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from digest import config  # noqa: E402
from digest.admins import Role, hash_password  # noqa: E402
from digest.store import Store  # noqa: E402
from digest.store import tables as t  # noqa: E402
from digest.store.admins import add_admin  # noqa: E402
from digest.web.app import create_app  # noqa: E402

PASSWORD = "benchmark password 123"
TOPICS = ["Politique", "Économie", "Sport", "Culture", "Tech"]
FIRST = ["Camille", "Léa", "Hugo", "Zoé", "Lucas", "Inès", "Martin", "Nora", "Yanis", "Emma", "Adam", "Sofia"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau", "Simon"]
QUERIES = {
    "first page (newest first)": {},
    "q=martin": {"q": "martin"},
    "q=reader12345 (one match)": {"q": "reader12345@"},
    "status=confirmed&language=en": {"status": "confirmed", "language": "en"},
    "topic=Sport": {"topic": "Sport"},
    "sort=email asc, offset 50000": {"sort": "email", "dir": "asc", "offset": "50000"},
    "sort=name desc": {"sort": "name", "dir": "desc"},
    "q=martin&status=confirmed&sort=email": {"q": "martin", "status": "confirmed", "sort": "email"},
}
INDEXES = ("ix_subscribers_created_at", "ix_subscribers_language_status", "ix_subscribers_name")


def seed(store: Store, count: int, now: datetime) -> None:
    """``count`` subscribers in batches of 5,000."""
    rng = random.Random(13)
    statuses = ["confirmed"] * 8 + ["pending", "unsubscribed"]
    batch: list[dict[str, object]] = []
    with store.engine.begin() as conn:
        for i in range(count):
            created = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
            batch.append(
                {
                    "email": f"reader{i}@example.org",
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "language": "fr" if rng.random() < 0.7 else "en",
                    "topics": ";".join(rng.sample(TOPICS, rng.randrange(0, 3))),
                    "status": rng.choice(statuses),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if len(batch) == 5000:
                conn.execute(insert(t.subscribers), batch)
                batch = []
        if batch:
            conn.execute(insert(t.subscribers), batch)


async def measure(app: object, repeat: int) -> dict[str, tuple[float, float]]:
    """Median and p95 milliseconds per query, over ``repeat`` requests each (after one warm-up)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers={"Accept-Language": "en"}) as c:
        form = await c.get("/admin/login")
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = await c.post("/admin/login", data={"email": "owner@example.org", "password": PASSWORD,
                                                     "csrf_token": token})  # fmt: skip
        assert signed.status_code == 303, signed.text[:300]
        out: dict[str, tuple[float, float]] = {}
        for name, params in QUERIES.items():
            median, p95, _ = await time_page(c, "/admin/subscribers", params, repeat)
            out[name] = (median, p95)
        return out


async def time_page(c: httpx.AsyncClient, path: str, params: dict[str, str], repeat: int) -> tuple[float, float, float]:
    """GET ``path`` ``repeat`` times (after one warm-up): the median and p95 wall time and
    the median CPU time of this process (the server's work, whatever else the machine
    is doing), in milliseconds."""
    page = await c.get(path, params=params)
    assert page.status_code == 200
    times, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        page = await c.get(path, params=params)
        times.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
        assert page.status_code == 200
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], statistics.median(cpus)


def report(title: str, figures: dict[str, tuple[float, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'query':<42} {'median ms':>10} {'p95 ms':>8}")
    for name, (median, p95) in figures.items():
        flag = "" if p95 < 300 else "  over 300 ms"
        print(f"  {name:<42} {median:>10.1f} {p95:>8.1f}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'admin-bench.db'}"
        store = Store(url)
        store.init()
        started = time.perf_counter()
        seed(store, args.subscribers, now)
        print(f"seeded {args.subscribers:,} subscribers in {time.perf_counter() - started:.1f} s ({store.dialect})")
        add_admin(store, "owner@example.org", Role.OWNER, hash_password(PASSWORD), now=now)
        (Path(tmp) / "secret").write_text("bench-secret-key-0123456789abcdef", encoding="utf-8")
        settings = config.load(env={}).with_overrides(
            {"web": {"secret_key_env": "DIGEST_BENCH_UNSET", "secret_key_file": str(Path(tmp) / "secret")},
             "newsletter": {"categories": TOPICS}}
        )  # fmt: skip
        app = create_app(settings, store)
        report("with the 0002_admin_console indexes", asyncio.run(measure(app, args.repeat)))
        with store.engine.begin() as conn:
            for name in INDEXES:
                conn.execute(text(f"DROP INDEX {name}"))
        report("without them (for comparison)", asyncio.run(measure(app, args.repeat)))
        store.close()


if __name__ == "__main__":
    main()
