"""The console at list scale: a 100,000-row CSV imported through the import page, then
the subscriber list and its searches, and a bulk action on "all matching", on those rows.

    .venv/bin/python benchmarks/console_scale.py [--rows 100000] [--repeat 10] [--database-url URL]

1. Builds a CSV of N rows (varied names, languages, topics, statuses, dates; 1 row in
   1,000 with a bad address), signs an editor in and POSTs it to
   /admin/subscribers/import through the ASGI app itself (httpx's ASGITransport: no
   network). The file is over ``[web] import_background_rows``, so the upload is
   answered by a redirect to the job's page and the import runs in the import worker,
   step by step; the time is from the upload to the job's end. The issue's bar: 60 s.
2. Requests /admin/subscribers with the filters and sort orders of benchmarks/admin.py
   (plus a deep page by number) over those rows: median and p95 server time. Bar: 300 ms.
3. Times the confirmation page of a bulk unsubscribe of "all matching" a text search
   (it counts the matches) and a bulk "add topic" to all of them (one action).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from admin import FIRST, LAST, QUERIES, TOPICS, time_page  # noqa: E402

from digest import config  # noqa: E402
from digest.admins import Role, hash_password  # noqa: E402
from digest.store import Store, import_jobs  # noqa: E402
from digest.store import subscribers as db  # noqa: E402
from digest.store.admins import add_admin  # noqa: E402
from digest.web.app import create_app  # noqa: E402

PASSWORD = "benchmark password 123"
SCALE_QUERIES = {**QUERIES, "page=1000 (go to page)": {"sort": "email", "dir": "asc", "page": "1000"}}


def csv_bytes(rows: int, now: datetime) -> bytes:
    """A subscriber list as an export would write it, ``rows`` data rows."""
    rng = random.Random(7)
    # No pending rows: each would get its confirmation mail after the job, which is not the import's time.
    statuses = ["confirmed"] * 9 + ["unsubscribed"]
    lines = ["email,name,language,topics,status,created_at"]
    for i in range(rows):
        created = (now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))).isoformat()
        email = "not-an-address" if i % 1000 == 999 else f"reader{i}@example.org"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        language = "fr" if rng.random() < 0.7 else "en"
        topics = ";".join(rng.sample(TOPICS, rng.randrange(0, 3)))
        lines.append(f"{email},{name},{language},{topics},{rng.choice(statuses)},{created}")
    return ("\n".join(lines) + "\n").encode()


async def token(c: httpx.AsyncClient, path: str) -> str:
    page = await c.get(path)
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def run(app: object, store: Store, data: bytes, repeat: int) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers={"Accept-Language": "en"}, timeout=600
    ) as c:
        signed = await c.post("/admin/login", data={"email": "editor@example.org", "password": PASSWORD,
                                                     "csrf_token": await token(c, "/admin/login")})  # fmt: skip
        assert signed.status_code == 303, signed.text[:300]

        # 1. The import, from the upload to the job's end.
        form = {"csrf_token": await token(c, "/admin/subscribers/import"), "confirmed": "yes"}
        cpu = time.process_time()  # the whole process's CPU time: the request's and the job thread's
        started = time.perf_counter()
        answer = await c.post("/admin/subscribers/import", data=form, files={"file": ("list.csv", data, "text/csv")})
        answered = time.perf_counter() - started
        assert answer.status_code == 303, answer.text[:500]
        job_id = int(answer.headers["location"].rsplit("/", 1)[1])
        job = import_jobs.get(store, job_id)
        while job is not None and not job.finished:
            await asyncio.sleep(0.5)
            job = import_jobs.get(store, job_id)
        took = time.perf_counter() - started
        cpu = time.process_time() - cpu
        assert job is not None and job.state == "done", job
        rows = job.rows_total
        print(f"\nimport of {rows:,} rows ({len(data) / 1024:,.0f} KiB) through /admin/subscribers/import")
        print(
            f"  upload answered (redirect to the job page) in {answered:.1f} s; load average {os.getloadavg()[0]:.1f}"
        )
        print(f"  job done in {took:.1f} s: {job.added:,} added, {job.rejected:,} rejected ({rows / took:,.0f} rows/s)"
              f"{'' if took < 60 else '  over 60 s'}")  # fmt: skip
        print(f"  CPU time of the process meanwhile: {cpu:.1f} s (about what the import takes on an idle core)")
        page = await c.get(f"/admin/subscribers/import/{job_id}")
        assert page.status_code == 200 and f"Line {1000 + 1}: email:" in page.text

        # 2. The list and its searches over those rows: wall time, and the process's CPU time
        # per request (the server's work, whatever else the machine is doing).
        print(f"\n/admin/subscribers over {db.count(store):,} subscribers ({store.dialect}), "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"  {'query':<42} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8}")
        for name, params in SCALE_QUERIES.items():
            median, p95, cpu_ms = await time_page(c, "/admin/subscribers", params, repeat)
            flag = "" if cpu_ms < 300 else "  over 300 ms"
            print(f"  {name:<42} {median:>10.1f} {p95:>8.1f} {cpu_ms:>8.1f}{flag}")

        # 3. Bulk work on every subscriber matching a search.
        bulk = {"csrf_token": await token(c, "/admin/subscribers"), "all_matching": "yes", "q": "martin"}
        t0, c0 = time.perf_counter(), time.process_time()
        asked = await c.post("/admin/subscribers/bulk", data={**bulk, "operation": "unsubscribe"})
        confirm_ms, confirm_cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        assert asked.status_code == 200 and "will be unsubscribed" in asked.text
        t0, c0 = time.perf_counter(), time.process_time()
        done = await c.post("/admin/subscribers/bulk", data={**bulk, "operation": "add_topic", "topic_name": "Tech"})
        bulk_s, bulk_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert done.status_code == 303
        landed = await c.get(done.headers["location"])
        said = landed.text.split('class="banner" role="status">', 1)[1].split("<", 1)[0]
        print("\nbulk, all matching q=martin")
        print(f"  confirmation page (counts the matches): {confirm_ms:.0f} ms (CPU {confirm_cpu:.0f} ms)")
        print(f"  add the topic Tech to all of them, one action: {bulk_s:.1f} s (CPU {bulk_cpu:.1f} s): {said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'console-scale.db'}"
        store = Store(url)
        store.init()
        add_admin(store, "editor@example.org", Role.EDITOR, hash_password(PASSWORD), now=now)
        (Path(tmp) / "secret").write_text("bench-secret-key-0123456789abcdef", encoding="utf-8")
        settings = config.load(env={}).with_overrides(
            {"web": {"secret_key_env": "DIGEST_BENCH_UNSET", "secret_key_file": str(Path(tmp) / "secret")},
             "newsletter": {"categories": TOPICS}}
        )  # fmt: skip
        app = create_app(settings, store)
        try:
            asyncio.run(run(app, store, csv_bytes(args.rows, now), args.repeat))
        finally:
            app.state.imports.shutdown()
            store.close()


if __name__ == "__main__":
    main()
