"""The service end to end: simulated weeks across clock changes (tick + the real sender
+ a real SMTP server), catch-up after downtime, `digest serve` and `digest worker` as
real processes with clean shutdown, and several sender processes on PostgreSQL."""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from database_support import new_sqlite_store
from smtp_server import SMTPServer
from sqlalchemy import select
from test_schedule import add_articles, subscribe

from digest import config
from digest.config import Settings
from digest.daily.tick import DailyTicker
from digest.deliver.messages import EditionMessages
from digest.deliver.sender import run_sender
from digest.store import Store, schedule_runs
from digest.store import tables as t

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-signing-key-0123456789abcdef"


def service_settings(tmp_path: Path, smtp: SMTPServer, **schedule: object) -> Settings:
    key = tmp_path / "secret_key"
    key.write_text(SECRET, encoding="utf-8")
    overrides: dict[str, dict[str, Any]] = {
        "smtp": {"host": smtp.host, "port": smtp.port, "connections": 2},
        "web": {"secret_key_file": str(key)},
    }
    if schedule:
        overrides["schedule"] = schedule
    return config.load(env={}).with_overrides(overrides)


class Simulation:
    """Drives the scheduler's tick and a sender loop through simulated time."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.now = datetime(2000, 1, 1, tzinfo=UTC)
        self.schedule = DailyTicker(store, settings)
        self.messages = EditionMessages.from_settings(settings, store, clock=self.clock)
        self.ticks = 0

    def clock(self) -> datetime:
        return self.now

    async def step(self, now: datetime, *, start_up: bool = False) -> None:
        """Everything due at ``now``: the tick, then the sender until nothing is due."""
        self.now = now
        self.schedule.tick(now, start_up=start_up)
        self.ticks += 1
        await run_sender(
            self.store, self.settings, self.messages, sender_id="sim:1:0", stop=asyncio.Event(), now=self.clock
        )

    async def run(self, start: datetime, end: datetime, *, max_gap: timedelta = timedelta(hours=5)) -> None:
        """Step from ``start`` to ``end``, at every send time and at least every ``max_gap``."""
        now = start
        await self.step(now, start_up=True)
        while now < end:
            upcoming = self.schedule.next_send(now)
            now = min(upcoming or end, now + max_gap, end)
            await self.step(now)


# (zone, local send time, language): the four cities of the issue, plus send times that
# fall in a DST gap or fold on the days the clocks change.
READERS = [
    ("Africa/Casablanca", "07:00", "fr"),
    ("Europe/Paris", "07:00", "fr"),
    ("America/New_York", "07:00", "en"),
    ("Asia/Kolkata", "07:00", "en"),
    ("Europe/Paris", "02:30", "fr"),  # 29 March: 02:00 -> 03:00, so at 03:00 that day
    ("America/New_York", "01:30", "en"),  # 1 November: 01:00-02:00 twice, the first one
    ("Africa/Casablanca", "02:30", "fr"),  # 22 March: 02:00 -> 03:00
]

WEEKS = {
    # Casablanca leaves Ramadan time on 22 March, Paris springs forward on 29 March.
    "spring": (date(2026, 3, 21), date(2026, 3, 30)),
    # Paris falls back on 25 October, New York on 1 November.
    "autumn": (date(2026, 10, 24), date(2026, 11, 2)),
}


def expected_instant(day: date, zone: str, at: str) -> datetime:
    """The local send time on ``day``, moved out of a gap, first of a fold (computed
    here by scanning minutes, independently of digest.timing)."""
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, dtime.fromisoformat(at))
    probe = datetime.combine(day, dtime(0, 0), tzinfo=tz).astimezone(UTC) - timedelta(hours=2)
    for _ in range(60 * 30):
        local = probe.astimezone(tz).replace(tzinfo=None)
        if local >= wall and local.date() == day:
            return probe
        probe += timedelta(minutes=1)
    raise AssertionError("no instant found")


def mailbox(smtp: SMTPServer) -> dict[str, list[datetime]]:
    """Date header of every message received, per recipient."""
    out: dict[str, list[datetime]] = {}
    for received in smtp.received:
        message = received.message()
        sent = email.utils.parsedate_to_datetime(str(message["Date"])).astimezone(UTC)
        for rcpt in received.rcpt_tos:
            out.setdefault(rcpt, []).append(sent)
    return out


@pytest.mark.slow(seconds=15)
@pytest.mark.parametrize("week", sorted(WEEKS))
async def test_simulated_week_across_dst_one_edition_per_local_day_at_local_send_time(
    tmp_path: Path, smtp: SMTPServer, week: str
) -> None:
    first, last = WEEKS[week]
    store = new_sqlite_store(tmp_path / "digest.db")
    try:
        settings = service_settings(tmp_path, smtp)
        signup = datetime.combine(first - timedelta(days=2), dtime(12, 0), tzinfo=UTC)
        day = first - timedelta(days=1)
        while day <= last + timedelta(days=1):
            add_articles(store, day, now=signup)
            day += timedelta(days=1)
        addresses = {}
        for i, (zone, at, language) in enumerate(READERS):
            address = f"reader{i}@example.org"
            subscribe(store, address, now=signup, language=language, timezone=zone, send_at=at)
            addresses[address] = (zone, at)

        start = datetime.combine(first, dtime(0, 0), tzinfo=UTC)
        end = datetime.combine(last, dtime(0, 0), tzinfo=UTC)
        simulation = Simulation(store, settings)
        await simulation.run(start, end)

        received = mailbox(smtp)
        for address, (zone, at) in addresses.items():
            tz = ZoneInfo(zone)
            expected = []
            day = first - timedelta(days=1)
            while day <= last:
                instant = expected_instant(day, zone, at)
                if start <= instant <= end:
                    expected.append(instant)
                day += timedelta(days=1)
            got = sorted(received.get(address, []))
            # Exactly one edition per local day, dated and sent at the local send time.
            assert got == expected, (address, zone, at)
            local_days = [g.astimezone(tz).date() for g in got]
            assert len(local_days) == len(set(local_days))
        # Each message carries the edition of the reader's local day.
        d, s, e = t.deliveries.c, t.subscribers.c, t.editions.c
        query = (
            select(s.email, s.timezone, d.sent_at, d.state, e.edition_date)
            .join(t.subscribers, s.id == d.subscriber_id)
            .join(t.editions, e.id == d.edition_id)
        )
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
        assert {r.state for r in rows} == {"sent"}
        for r in rows:
            assert r.sent_at.astimezone(ZoneInfo(r.timezone)).date() == r.edition_date
        assert len(rows) == len(smtp.received)
        # Nothing was decided twice, and nothing was skipped in a week without downtime.
        decisions = schedule_runs.recent_runs(store, limit=100)
        assert {r.outcome for r in decisions} == {"send"}
        assert len(decisions) == len({(r.run_date, r.language) for r in decisions})
    finally:
        store.close()


async def test_catch_up_two_hours_late_sends_five_hours_late_skips(tmp_path: Path, smtp: SMTPServer) -> None:
    """The service was down at 07:00 Casablanca (06:00 UTC) on two days: back at 08:00
    on the first (sent), at 11:00 on the second (skipped, recorded)."""
    store = new_sqlite_store(tmp_path / "digest.db")
    try:
        settings = service_settings(tmp_path, smtp)
        signup = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
        for day in (date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1)):
            add_articles(store, day, now=signup)
        subscribe(store, "reader@example.org", now=signup)

        first = Simulation(store, settings)
        await first.step(datetime(2026, 11, 29, 8, 0, tzinfo=UTC), start_up=True)
        (message,) = smtp.received
        assert email.utils.parsedate_to_datetime(str(message.message()["Date"])) == datetime(
            2026, 11, 29, 8, 0, tzinfo=UTC
        )
        sent = schedule_runs.decision(store, job="edition", run_date=date(2026, 11, 29), language="fr")
        assert sent is not None and (sent.outcome, sent.reason) == (
            "send",
            "caught up: started 2h after the first send time",
        )

        second = Simulation(store, settings)  # a new process after another outage
        await second.step(datetime(2026, 11, 30, 11, 0, tzinfo=UTC), start_up=True)
        assert len(smtp.received) == 1
        skipped = schedule_runs.decision(store, job="edition", run_date=date(2026, 11, 30), language="fr")
        assert skipped is not None and skipped.outcome == "skip"
        assert "missed by 5h, more than the 3h catch-up grace" in skipped.reason
        # The next day runs normally again.
        await second.step(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
        assert [email.utils.parsedate_to_datetime(str(r.message()["Date"])) for r in smtp.received] == [
            datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 6, 0, tzinfo=UTC),
        ]
    finally:
        store.close()


# Real processes ----------------------------------------------------------------------


def add_articles_now(store: Store, send_time: datetime) -> None:
    """The fixture day moved so that its window ends at ``send_time`` (any minute)."""
    fixture_send = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    shift = send_time - fixture_send
    whole_days = timedelta(days=shift.days)
    day = date(2026, 11, 29) + whole_days
    add_articles(store, day, now=send_time - timedelta(days=1))
    rest = shift - whole_days
    if rest:
        with store.engine.begin() as conn:
            for row in conn.execute(select(t.articles.c.id, t.articles.c.published_at)).all():
                conn.execute(
                    t.articles.update().where(t.articles.c.id == row.id).values(published_at=row.published_at + rest)
                )


def process_env(**values: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update({f"DIGEST_{k.upper()}": str(v) for k, v in values.items()})
    env["PYTHONPATH"] = str(ROOT)
    return env


class Process:
    """A `digest` command running as a child process; stdout read line by line."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._stderr = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "digest", *args],
            env=env,
            cwd=log.parent,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r}; log:\n{self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send ``sig`` and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """Make sure the process is gone and its pipes closed (every test's finally)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]


def serve_env(db_url: str, smtp: SMTPServer, send_at: datetime, **extra: object) -> dict[str, str]:
    values: dict[str, object] = {
        "database_url": db_url,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_connections": 4,
        "schedule_timezone": "UTC",
        "schedule_send_at": send_at.strftime("%H:%M"),
        "schedule_poll_feeds_minutes": 0,
        "log_format": "json",
        "secret_key": SECRET,
    }
    return process_env(**(values | extra))


def real_send_time() -> datetime:
    """A send time a minute ago, the same UTC day (the processes below read the real clock)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now if (now.hour, now.minute) == (0, 0) else now - timedelta(minutes=1)


@pytest.mark.slow(seconds=10)
def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(tmp_path: Path, smtp: SMTPServer) -> None:
    store = new_sqlite_store(tmp_path / "digest.db")
    send_time = real_send_time()
    add_articles_now(store, send_time)
    for i in range(5):
        subscribe(store, f"r{i}@example.org", now=send_time - timedelta(days=1))
    store.close()
    serve = Process(
        ["serve", "--port", "0"], serve_env(f"sqlite:///{tmp_path / 'digest.db'}", smtp, send_time), tmp_path / "s.log"
    )
    try:
        url = serve.wait_for_line(r"digest serve: (http://\S+)").group(1)
        health = httpx.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok" and body["scheduler"]["running"] is True
        assert {job["id"] for job in body["scheduler"]["jobs"]} == {"tick"}  # polling is off (0 minutes)
        assert body["scheduler"]["next_send"] is not None
        smtp.wait_for(5, timeout=30)
        sent = 'digest_messages_total{code="250",outcome="sent"} 5.0'
        deadline = time.monotonic() + 10  # outcomes are counted when the sender writes them
        while sent not in (metrics := httpx.get(f"{url}/metrics", timeout=10).text) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sent in metrics
        assert 'digest_editions_built_total{language="fr"} 1.0' in metrics
        code = serve.stop(signal.SIGTERM)
    finally:
        serve.kill()
    assert code == 0
    events = [e["message"] for e in serve.events()]
    assert events.index("stop requested") < events.index("shutting down") < events.index("stopped")
    assert "r0@example.org" not in serve.log.read_text()  # addresses never logged in full
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [f"r{i}@example.org" for i in range(5)]


@pytest.mark.slow(seconds=6)
def test_serve_refuses_a_port_in_use_in_one_line(tmp_path: Path, smtp: SMTPServer) -> None:
    import socket

    store = new_sqlite_store(tmp_path / "digest.db")
    store.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "digest", "serve", "--port", str(port)],
            env=serve_env(f"sqlite:///{tmp_path / 'digest.db'}", smtp, real_send_time()),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"error: cannot serve on 127.0.0.1:{port}: Address already in use"
    assert "Traceback" not in result.stderr


def test_sigterm_finishes_in_flight_messages_and_releases_the_rest(tmp_path: Path, smtp: SMTPServer) -> None:
    store = new_sqlite_store(tmp_path / "digest.db")
    send_time = real_send_time()
    add_articles_now(store, send_time)
    for i in range(40):
        subscribe(store, f"r{i}@example.org", now=send_time - timedelta(days=1))
    smtp.stall_on("DATA", 1.0, times=None)  # every message takes a second at DATA
    serve = Process(
        ["serve", "--port", "0"],
        serve_env(f"sqlite:///{tmp_path / 'digest.db'}", smtp, send_time, smtp_connections=2),
        tmp_path / "s.log",
    )
    try:
        serve.wait_for_line(r"digest serve: (http://\S+)")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(c == "DATA" for c, _ in smtp.handler.commands):
            time.sleep(0.05)
        code = serve.stop(signal.SIGTERM)
    finally:
        serve.kill()
    assert code == 0
    d = t.deliveries.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(d.state, d.claimed_by)).all()
    store.close()
    states = [r.state for r in rows]
    # The messages on the wire were finished and recorded; nothing is left "sending" or
    # claimed: another process can take the rest at once.
    assert states.count("sent") == len(smtp.received) >= 1
    assert "sending" not in states
    assert states.count("pending") == 40 - states.count("sent")
    assert all(r.claimed_by is None for r in rows if r.state == "pending")


def add_readers(store: Store, count: int, *, now: datetime) -> None:
    """``count`` confirmed French readers on the newsletter's own schedule."""
    rows = [
        {"email": f"reader{i:04d}@example.org", "language": "fr", "status": "confirmed", "timezone": "",
         "send_at": "", "created_at": now, "updated_at": now}
        for i in range(count)
    ]  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(t.subscribers.insert(), rows)


def messages_per_address(smtp: SMTPServer) -> dict[str, int]:
    """How many messages each recipient got."""
    out: dict[str, int] = {}
    for message in smtp.received:
        for rcpt in message.rcpt_tos:
            out[rcpt] = out.get(rcpt, 0) + 1
    return out


@pytest.mark.slow(seconds=50)
def test_three_serve_processes_on_postgresql_send_each_subscriber_once(pg_url: str, tmp_path: Path) -> None:
    """Three `digest serve` processes (scheduler and sender each) started together on one
    PostgreSQL database with 3,000 subscribers: one edition, one decision, one message
    per subscriber."""
    store = Store(pg_url)
    store.init()
    send_time = real_send_time()
    add_articles_now(store, send_time)
    add_readers(store, 3000, now=send_time - timedelta(days=1))
    processes: list[Process] = []
    with SMTPServer() as smtp:
        try:
            env = serve_env(pg_url, smtp, send_time, newsletter_languages="fr")
            processes = [Process(["serve", "--port", "0"], env, tmp_path / f"serve{i}.log") for i in range(3)]
            for process in processes:
                process.wait_for_line(r"digest serve: (http://\S+)", timeout=60)
            smtp.wait_for(3000, timeout=240)
            time.sleep(1.0)  # anything extra would arrive now
            codes = [p.stop(signal.SIGTERM) for p in processes]
        finally:
            for process in processes:
                process.kill()
        per_address = messages_per_address(smtp)
    assert codes == [0, 0, 0]
    assert len(per_address) == 3000 and set(per_address.values()) == {1}
    d, a = t.deliveries.c, t.delivery_attempts.c
    with store.engine.connect() as conn:
        states = conn.execute(select(d.state)).scalars().all()
        senders = conn.execute(select(a.sender).distinct()).scalars().all()
        editions = conn.execute(select(t.editions.c.id)).scalars().all()
        decisions = conn.execute(select(t.schedule_runs.c.outcome)).scalars().all()
    store.close()
    assert states == ["sent"] * 3000
    assert len(editions) == 1 and decisions == ["send"]
    assert len(senders) >= 2  # the work was shared (SKIP LOCKED), not done by one process


async def test_worker_start_skips_rows_missed_in_downtime_and_sends_the_rest(tmp_path: Path, smtp: SMTPServer) -> None:
    from digest.runtime.service import Stopper, run_worker

    store = new_sqlite_store(tmp_path / "digest.db")
    try:
        settings = service_settings(tmp_path, smtp)
        signup = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        add_articles(store, date(2026, 11, 29), now=signup)
        subscribe(store, "casa@example.org", now=signup)  # due 06:00 UTC
        subscribe(store, "ny@example.org", now=signup, timezone="America/New_York", send_at="07:00")  # 12:00 UTC
        subscribe(store, "late@example.org", now=signup, timezone="UTC", send_at="15:30")
        DailyTicker(store, settings).tick(datetime(2026, 11, 29, 6, 0, tzinfo=UTC))  # fanned out on time
        # Every process was down until 16:00; a sender-only process starts first.
        now = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
        stopper = Stopper()
        worker = asyncio.create_task(run_worker(settings, store, clock=lambda: now, stopper=stopper))
        await asyncio.to_thread(smtp.wait_for, 1, timeout=30)
        stopper.request()
        await asyncio.wait_for(worker, timeout=30)
        assert [r.rcpt_tos for r in smtp.received] == [("late@example.org",)]
        d, s = t.deliveries.c, t.subscribers.c
        with store.engine.connect() as conn:
            rows = dict(conn.execute(select(s.email, d.state).join(t.subscribers, s.id == d.subscriber_id)).all())
        assert rows == {"casa@example.org": "skipped", "ny@example.org": "skipped", "late@example.org": "sent"}
    finally:
        store.close()


@pytest.mark.slow(seconds=50)
def test_three_worker_processes_on_postgresql_send_each_subscriber_once(pg_url: str, tmp_path: Path) -> None:
    """The scheduler's tick fans out an edition to 3,000 subscribers; three `digest
    worker` processes started together deliver it: one message per subscriber."""
    store = Store(pg_url)
    store.init()
    send_time = real_send_time()
    add_articles_now(store, send_time)
    add_readers(store, 3000, now=send_time - timedelta(days=1))
    schedule = config.load(env={}).with_overrides(
        {"schedule": {"timezone": "UTC", "send_at": send_time.strftime("%H:%M")}, "newsletter": {"languages": ["fr"]}}
    )
    report = DailyTicker(store, schedule).tick(datetime.now(UTC), start_up=True)
    assert report.fanned_out == 3000
    processes: list[Process] = []
    with SMTPServer() as smtp:
        try:
            env = serve_env(pg_url, smtp, send_time, newsletter_languages="fr")
            processes = [Process(["worker"], env, tmp_path / f"worker{i}.log") for i in range(3)]
            smtp.wait_for(3000, timeout=240)
            time.sleep(1.0)  # anything extra would arrive now
            codes = [p.stop(signal.SIGTERM) for p in processes]
        finally:
            for process in processes:
                process.kill()
        per_address = messages_per_address(smtp)
    assert codes == [0, 0, 0]
    assert len(per_address) == 3000 and set(per_address.values()) == {1}
    d, a = t.deliveries.c, t.delivery_attempts.c
    with store.engine.connect() as conn:
        states = conn.execute(select(d.state)).scalars().all()
        senders = conn.execute(select(a.sender).distinct()).scalars().all()
    store.close()
    assert states == ["sent"] * 3000
    assert len(senders) >= 2  # the rows were shared out (SKIP LOCKED), not sent by one process
