"""A small SMTP sink for benchmarks/scale.py that behaves like a large provider on a
bad day: it accepts most messages, refuses some for a while, some for good, and
throttles now and then.

    python benchmarks/scale_sink.py PORT REPORT.json [--status FILE]

Per recipient, decided by a hash of the address (so every run, and every retry,
agrees): 0.5% get ``550 5.1.1`` at RCPT (permanent: the sender must suppress them),
1% get ``451 4.3.0`` at RCPT the first time only (temporary: retried later, then
accepted). One MAIL in :data:`THROTTLE_EVERY` is answered ``421 4.7.0`` and the
connection closed (a throttle: the message must go again, uncharged). Everything else
is answered 250 after its final dot.

On SIGTERM (or SIGINT) it writes REPORT.json: every accepted recipient with how many
times it was accepted, the temporarily and permanently refused ones, the throttles, and
exits. ``--status FILE`` also writes the accepted count there every half second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import zlib
from collections import Counter
from pathlib import Path

#: Per mille of recipients refused for good (5xx) and for a while (4xx, the first time).
PERMANENT_PER_MILLE = 5
TEMPORARY_PER_MILLE = 10
#: One MAIL in this many is throttled (421 and the connection closed).
THROTTLE_EVERY = 2500


def verdict(address: str) -> str:
    """``permanent``, ``temporary`` or ``ok`` for a recipient (stable across runs)."""
    bucket = zlib.crc32(address.lower().encode("utf-8")) % 1000
    if bucket < PERMANENT_PER_MILLE:
        return "permanent"
    if bucket < PERMANENT_PER_MILLE + TEMPORARY_PER_MILLE:
        return "temporary"
    return "ok"


class Sink:
    """The server's state: what it accepted and refused."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.temporary: set[str] = set()
        self.permanent: set[str] = set()
        self.mails = 0
        self.throttled = 0

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One SMTP session (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""
        writer.write(b"220 scale-sink ESMTP\r\n")
        rcpt = ""
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(b"250-scale-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n")
                elif verb == b"MAIL":
                    self.mails += 1
                    if self.mails % THROTTLE_EVERY == 0:
                        self.throttled += 1
                        writer.write(b"421 4.7.0 Too many messages, slow down\r\n")
                        await writer.drain()
                        return
                    rcpt = ""
                    writer.write(b"250 2.1.0 Ok\r\n")
                elif verb == b"RCPT":
                    address = line.decode("utf-8", "replace").partition("<")[2].partition(">")[0]
                    kind = verdict(address)
                    if kind == "permanent":
                        self.permanent.add(address)
                        writer.write(b"550 5.1.1 No such user here\r\n")
                    elif kind == "temporary" and address not in self.temporary:
                        self.temporary.add(address)
                        writer.write(b"451 4.3.0 Temporary failure, try again later\r\n")
                    else:
                        rcpt = address
                        writer.write(b"250 2.1.5 Ok\r\n")
                elif verb == b"DATA":
                    if not rcpt:
                        writer.write(b"554 5.5.1 No valid recipients\r\n")
                        continue
                    writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    await reader.readuntil(b"\r\n.\r\n")
                    self.accepted[rcpt] += 1
                    rcpt = ""
                    writer.write(b"250 2.0.0 Ok: queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 Bye\r\n")
                    await writer.drain()
                    return
                else:  # RSET, NOOP
                    rcpt = ""
                    writer.write(b"250 2.0.0 Ok\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        finally:
            writer.close()

    def report(self) -> dict[str, object]:
        """What REPORT.json holds."""
        return {
            "accepted": dict(self.accepted),
            "temporary": sorted(self.temporary),
            "permanent": sorted(self.permanent),
            "mails": self.mails,
            "throttled": self.throttled,
        }


async def serve(port: int, report: Path, status: Path | None) -> None:
    """Serve on 127.0.0.1:``port`` until SIGTERM/SIGINT, then write ``report``."""
    sink = Sink()
    server = await asyncio.start_server(sink.session, "127.0.0.1", port, limit=64 * 1024 * 1024, backlog=256)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        while not stop.is_set():
            if status is not None:
                status.write_text(str(sum(sink.accepted.values())))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)
    report.write_text(json.dumps(sink.report()), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("report", type=Path)
    parser.add_argument("--status", type=Path)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.report, args.status))


if __name__ == "__main__":
    main()
