"""Delivery speed: a real ~50 KB edition sent to N subscribers through Postfix's C test
server smtp-sink and through an aiosmtpd sink, beside the C ceiling measured in the same
run with smtp-source against the same sinks; then 10k vs 100k subscribers.

    .venv/bin/python benchmarks/delivery.py [--messages 3000] [--connections 1,2,4,8,16,32,64]
        [--processes 2] [--scale 10000,100000] [--database-url URL] [--skip-scale] [--repeat 3]
    .venv/bin/python benchmarks/delivery.py --compare cdcd527 [--messages 5000] [--connections 8] [--rounds 3]

Needs smtp-sink and smtp-source (Debian package postfix; only these two binaries are
used, the Postfix daemon need not and should not run). Everything else is the real
thing: the edition is digest.editorial.plan's five-minute briefing from 500 OrangeSum texts
(see benchmarks/render.py), stored with digest.store; each message is composed by
digest.mail.compose (signed links, Message-ID, List-Unsubscribe; DKIM RSA-2048 when on) and
sent by digest.deliver's sender loop with its claims, "sending" marks and outcome
writes in a SQLite file (or --database-url).

* per connection count: one sender process, messages/s (send time only: the processes
  are started and warmed up first, then released together; with --repeat, the best
  of that many runs, for smtp-source too);
* several processes (the way `digest send` uses a multi-core machine);
* scale: `digest send` itself, end to end (fan-out included), for 10k and 100k
  subscribers: wall time and the peak RSS of its largest process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sqlalchemy import delete, insert, update  # noqa: E402

from digest.store import Store  # noqa: E402
from digest.store import tables as t  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef"
EDITION_DATE = "2026-11-29"


# Sinks ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_smtp_sink(port: int) -> subprocess.Popen[bytes]:
    sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    proc = subprocess.Popen([sink, *user, f"127.0.0.1:{port}", "1024"], stdout=subprocess.DEVNULL)
    wait_port(port)
    return proc


def start_aiosmtpd_sink(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, "--aiosmtpd-sink", str(port)], stdin=subprocess.PIPE)
    wait_port(port)
    return proc


def wait_port(port: int) -> None:
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def aiosmtpd_sink(port: int) -> None:
    """A discarding aiosmtpd server until stdin closes (run in its own process)."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 2.0.0 Ok: queued"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port, data_size_limit=10_000_000)
    controller.start()
    sys.stdin.read()
    controller.stop()


def smtp_source(port: int, message: Path, sessions: int, count: int) -> float:
    """smtp-source's messages/s sending ``message`` ``count`` times over ``sessions``."""
    source = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    start = time.perf_counter()
    subprocess.run(
        [source, "-d", "-s", str(sessions), "-m", str(count), "-F", str(message), f"127.0.0.1:{port}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return count / (time.perf_counter() - start)


# The database -----------------------------------------------------------------------


def orangesum() -> Path:
    """The OrangeSum texts in ../shared/bench (or ../../shared/bench from a worktree folder),
    else the validation split the repository holds (benchmarks/data/orangesum-valid, its
    files xz-compressed): a plain clone runs the delivery benchmarks too."""
    found = [p / "shared" / "bench" / "orangesum" for p in (ROOT.parent, ROOT.parent.parent)]
    return next((p for p in found if p.exists()), ROOT / "benchmarks" / "data" / "orangesum-valid")


def prepare_store(url: str, subscribers: int, *, articles: int = 500) -> tuple[Store, int]:
    """A store holding the real edition (built from ``articles`` OrangeSum texts) and
    ``subscribers`` confirmed readers."""
    from render import NOW, edition

    from digest.store.editions import save_edition

    store = Store(url)
    store.init()
    built = edition(orangesum(), articles)
    # the OrangeSum texts are not stored as articles: the items keep no article id
    built = replace(built, id=None, items=tuple(replace(i, article_id=None) for i in built.items))
    ed = save_edition(store, built, rebuild=False, now=NOW)
    names = ("Zoé Dupont", "Karim Benali", "", "Anne-Sophie Lefèvre", "John Smith", "Fatima Zahra El Idrissi")
    with store.engine.begin() as conn:
        for start in range(0, subscribers, 5000):
            conn.execute(
                insert(t.subscribers),
                [
                    {
                        "email": f"reader{i}@example{i % 7}.org",
                        "name": names[i % len(names)],
                        "language": "fr",
                        "status": "confirmed",
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in range(start, min(subscribers, start + 5000))
                ],
            )
    assert ed.id is not None
    return store, ed.id


def reset_and_fan_out(store: Store, edition_id: int) -> None:
    """Forget every delivery, then fan the edition out again (all due now)."""
    from datetime import UTC, datetime

    from digest.daily.build import fan_out_now
    from digest.store.editions import get_edition

    with store.engine.begin() as conn:
        conn.execute(delete(t.delivery_attempts))
        conn.execute(delete(t.deliveries))
        conn.execute(update(t.editions).values(status="built", fanned_out_at=None))
    fan_out_now(store, [get_edition(store, edition_id)], now=datetime.now(UTC))


def write_config(
    folder: Path, url: str, port: int, *, connections: int, processes: int, dkim: Path | None, smtp_extra: str = ""
) -> Path:
    """A digest.toml for the benchmark's senders: the sink at ``port``, no DKIM unless
    ``dkim`` (a key file), ``smtp_extra`` added to its [smtp] table."""
    path = folder / f"digest-{port}-{connections}-{processes}-{'dkim' if dkim else 'plain'}.toml"
    path.write_text(
        f"""[newsletter]
name = "Le Brief"
sender = "Le Brief <brief@lebrief.ma>"
postal_address = "12 boulevard d'Anfa, 20000 Casablanca, Maroc"
unsubscribe_mailto = "unsubscribe@lebrief.ma"
languages = ["fr"]
base_url = "https://lebrief.ma"
[database]
url = "{url}"
[smtp]
host = "127.0.0.1"
port = {port}
connections = {connections}
processes = {processes}
envelope_from = "bounces+{{local}}={{domain}}@lebrief.ma"
timeout_seconds = 60
{smtp_extra}
[dkim]
domain = "{"lebrief.ma" if dkim else ""}"
selector = "bench"
private_key_path = "{dkim or ""}"
[log]
level = "warning"
""",
        encoding="utf-8",
    )
    return path


# Sender processes --------------------------------------------------------------------


def worker(config_path: str, edition_id: int) -> None:
    """One sender process: warm up, say ready, wait for "go", send until idle, report."""
    from digest import config
    from digest.deliver.ledger import sender_id
    from digest.deliver.messages import EditionMessages
    from digest.deliver.sender import run_sender

    settings = config.load(config_path)
    store = Store(settings.database_url)
    messages = EditionMessages.from_settings(settings, store, clock=lambda: datetime.now(UTC))
    messages.composer.variant(messages.edition(edition_id))  # render once before the clock starts
    print("ready", flush=True)
    sys.stdin.readline()
    start, cpu = time.perf_counter(), time.process_time()
    report = asyncio.run(
        run_sender(store, settings, messages, sender_id=sender_id(), stop=asyncio.Event(), edition_ids=[edition_id])
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"sent": report.sent, "failed": report.failed, "seconds": seconds, "cpu": cpu}), flush=True)


def send_rate(config_path: Path, edition_id: int, processes: int) -> tuple[float, int, float]:
    """``processes`` sender processes, warmed up then released together: (messages/s
    over the slowest one's send time, messages sent, CPU ms per message)."""
    env = os.environ | {"DIGEST_SECRET_KEY": SECRET}
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", str(config_path), str(edition_id)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, _ = p.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]))
    sent = sum(r["sent"] for r in results)
    seconds = max(r["seconds"] for r in results)
    return sent / seconds, sent, sum(r["cpu"] for r in results) / max(1, sent) * 1000


def best_rate(store: Store, edition_id: int, config_path: Path, processes: int, repeat: int, expected: int) -> float:
    """The best of ``repeat`` runs (a shared machine only ever makes a run slower)."""
    rates = []
    for _ in range(repeat):
        reset_and_fan_out(store, edition_id)
        rate, sent, _ = send_rate(config_path, edition_id, processes)
        assert sent == expected, (sent, expected)
        rates.append(rate)
    return max(rates)


# The run -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000, help="subscribers per throughput run")
    parser.add_argument("--connections", default="1,2,4,8,16,32,64")
    parser.add_argument("--processes", default=f"{max(2, os.cpu_count() or 1)}", help="process counts to try")
    parser.add_argument("--scale", default="10000,100000")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure, the best one kept")
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--compare", metavar="REV", help="this checkout against REV (compare_revisions.py)")
    parser.add_argument("--rounds", type=int, default=3, help="--compare: rounds of smtp-source, this, REV")
    args = parser.parse_args()
    if args.compare:
        from compare_revisions import compare

        connections = int(args.connections.split(",")[0]) if "," not in args.connections else 8
        compare(args.compare, messages=args.messages, connections=connections, rounds=args.rounds,
                database_url=args.database_url)  # fmt: skip
        return
    connections = [int(c) for c in args.connections.split(",")]
    process_counts = [int(p) for p in args.processes.split(",")]

    folder = Path(tempfile.mkdtemp(prefix="digest-delivery-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    key = folder / "dkim.pem"
    key.write_bytes(_rsa_pem())
    store, edition_id = prepare_store(url, args.messages)
    sample = _sample_message(folder, url, edition_id)
    print(f"message: {len(sample.read_bytes()) / 1024:.1f} KB (a real edition), {args.messages:,} subscribers per run, "
          f"{os.cpu_count()} CPU cores, database {url.split(':')[0]}")  # fmt: skip

    sinks = {} if args.skip_throughput else {"smtp-sink": start_smtp_sink, "aiosmtpd": start_aiosmtpd_sink}
    results: dict[str, dict[str, float]] = {}
    try:
        for name, start_sink in sinks.items():
            port = free_port()
            sink = start_sink(port)
            try:
                row: dict[str, float] = {}
                for c in connections:
                    row[f"source {c}"] = max(
                        smtp_source(port, sample, c, max(args.messages, 2000)) for _ in range(args.repeat)
                    )
                    for dkim in (None, key):
                        cfg = write_config(folder, url, port, connections=c, processes=1, dkim=dkim)
                        rate = best_rate(store, edition_id, cfg, 1, args.repeat, args.messages)
                        row[f"digest {c} {'dkim' if dkim else 'plain'}"] = rate
                    _print_row(name, c, row)
                best_c = max(connections, key=lambda c: row[f"digest {c} plain"])
                for p in process_counts:
                    for dkim in (None, key):
                        cfg = write_config(folder, url, port, connections=best_c, processes=p, dkim=dkim)
                        rate = best_rate(store, edition_id, cfg, p, args.repeat, args.messages)
                        row[f"multi {p}x{best_c} {'dkim' if dkim else 'plain'}"] = rate
                    plain, signed = row[f"multi {p}x{best_c} plain"], row[f"multi {p}x{best_c} dkim"]
                    print(f"  {name}: {p} processes x {best_c} connections: {plain:7.0f} msg/s, DKIM on {signed:7.0f}")
                results[name] = row
            finally:
                _stop(sink)
        _print_targets(results)
        if not args.skip_scale:
            scale(folder, [int(n) for n in args.scale.split(",")], args.database_url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _print_row(sink: str, c: int, row: dict[str, float]) -> None:
    source = row[f"source {c}"]
    plain, dkim = row[f"digest {c} plain"], row[f"digest {c} dkim"]
    print(f"  {sink:9s} {c:3d} connections: smtp-source {source:7.0f} msg/s | digest {plain:6.0f} "
          f"({plain / source:4.0%}) | digest+DKIM {dkim:6.0f} ({dkim / source:4.0%})", flush=True)  # fmt: skip


def _print_targets(results: dict[str, dict[str, float]]) -> None:
    row = results.get("smtp-sink", {})
    if not row:
        return
    ceiling = max(v for k, v in row.items() if k.startswith("source"))
    plain = max(v for k, v in row.items() if k.endswith("plain"))
    dkim = max(v for k, v in row.items() if k.endswith("dkim"))
    print(f"smtp-sink ceiling (best smtp-source): {ceiling:.0f} msg/s")
    print(f"best digest without DKIM: {plain:.0f} msg/s = {plain / ceiling:.0%} of the ceiling (target 30%)")
    print(f"best digest with DKIM:    {dkim:.0f} msg/s = {dkim / ceiling:.0%} of the ceiling (target 15%)")


def scale(folder: Path, sizes: list[int], database_url: str) -> None:
    """`digest send` end to end for each size: wall time and peak RSS."""
    figures = []
    port = free_port()
    sink = start_smtp_sink(port)
    try:
        for n in sizes:
            url = database_url or f"sqlite:///{folder / f'scale-{n}.db'}"
            store, _ = prepare_store(url, n)
            store.close()
            cfg = write_config(folder, url, port, connections=8, processes=0, dkim=None)
            seconds, rss_kb = _timed_send(cfg)
            figures.append((n, seconds, rss_kb))
            print(f"  digest send to {n:,}: {seconds:.1f} s ({n / seconds:.0f} msg/s), peak RSS {rss_kb / 1024:.0f} MB",
                  flush=True)  # fmt: skip
            if database_url:
                reset = Store(url)
                with reset.engine.begin() as conn:
                    for table in (t.delivery_attempts, t.deliveries, t.edition_items, t.editions, t.subscribers):
                        conn.execute(delete(table))
    finally:
        _stop(sink)
    if len(figures) == 2:
        (n1, s1, r1), (n2, s2, r2) = figures
        print(f"{n2:,} vs {n1:,}: time x{s2 / s1:.2f} (target <= {n2 / n1 * 1.05:.1f}), peak RSS x{r2 / r1:.2f} "
              f"(target <= 1.2)")  # fmt: skip


def _timed_send(cfg: Path) -> tuple[float, int]:
    """Wall seconds of `digest send` and the peak RSS (KB) of its largest process."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [sys.executable, "-m", "digest", "--config", str(cfg), "send", "--date", EDITION_DATE]
    env = os.environ | {"DIGEST_SECRET_KEY": SECRET}
    out = subprocess.run([sys.executable, "-c", probe, *command], env=env, cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    return float(out[0]), int(out[1])


def _sample_message(folder: Path, url: str, edition_id: int) -> Path:
    """One composed message as a file for smtp-source (LF line ends: it adds CRLF)."""
    from render import NOW

    from digest import config
    from digest.deliver.messages import EditionMessages
    from digest.models import Subscriber, SubscriberStatus
    from digest.store.claims import ClaimedDelivery

    cfg = write_config(folder, url, 25, connections=1, processes=1, dkim=None)
    os.environ.setdefault("DIGEST_SECRET_KEY", SECRET)
    settings = config.load(cfg)
    messages = EditionMessages.from_settings(settings, Store(url), clock=lambda: datetime.now(UTC))
    sub = Subscriber(email="reader1@example1.org", name="Karim Benali", status=SubscriberStatus.CONFIRMED, id=1)
    data = messages.message_for(ClaimedDelivery(1, edition_id, sub, NOW, 0, "pending")).data  # type: ignore[arg-type]
    path = folder / "sample.eml"
    path.write_bytes(data.replace(b"\r\n", b"\n"))
    return path


def _rsa_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--aiosmtpd-sink"]:
        aiosmtpd_sink(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], int(sys.argv[3]))
    else:
        _ = resource  # the scale run reads peak RSS through a probe process
        main()
