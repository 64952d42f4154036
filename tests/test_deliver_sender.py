"""The sender loop against a real SMTP server (aiosmtpd on port 0) with faults injected
per test. After every scenario each subscriber is sent exactly once, or failed (and
suppressed when the address is bad), or due for a retry: nobody is lost."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from delivery_support import MimeComposer, add_edition, add_subscribers, delivered_to
from smtp_server import SMTPServer
from sqlalchemy import select

from digest import config
from digest.deliver.options import SendReport
from digest.deliver.sender import run_sender
from digest.store import Store, outcomes
from digest.store import tables as t
from digest.store.fanout import fan_out
from digest.store.subscribers import suppression


def settings_for(tmp_path: Path, server: SMTPServer, **smtp: Any) -> config.Settings:
    path = tmp_path / "digest.toml"
    path.write_text("", encoding="utf-8")
    values = {"host": server.host, "port": server.port, "connections": 4, "timeout_seconds": 5.0} | smtp
    return config.load(path, env={}).with_overrides({"smtp": values})


def states(store: Store) -> dict[str, str]:
    """Each subscriber's delivery state, by address."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(t.subscribers.c.email, t.deliveries.c.state).join(
                t.deliveries, t.deliveries.c.subscriber_id == t.subscribers.c.id
            )
        ).all()
    return {email: state for email, state in rows}


async def send(store: Store, settings: config.Settings, at: datetime, **kwargs: Any) -> SendReport:
    return await run_sender(
        store,
        settings,
        kwargs.pop("composer", MimeComposer()),
        sender_id="test:1:0",
        stop=kwargs.pop("stop", asyncio.Event()),
        now=lambda: at,
        rng=random.Random(7),
        **kwargs,
    )


def prepare(store: Store, now: datetime, count: int) -> list[str]:
    addresses = add_subscribers(store, count, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    return addresses


def assert_nobody_lost(store: Store, smtp: SMTPServer, addresses: list[str]) -> dict[str, str]:
    got = delivered_to(smtp.received)
    final = states(store)
    assert set(final) == set(addresses)
    for address in addresses:
        if final[address] == "sent":
            assert got.get(address) == 1, address
        else:
            assert final[address] in ("retry", "failed"), (address, final[address])
            assert got.get(address, 0) == 0, address
    return final


async def test_every_subscriber_gets_the_edition_once_over_reused_connections(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 60)
    report = await send(store, settings_for(tmp_path, smtp, batch_size=25), now)
    assert report.sent == 60 and report.failed == report.retrying == 0
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}
    assert smtp.connections <= 4  # each connection carried many messages
    assert report.connections_opened == smtp.connections
    message = smtp.messages_to(addresses[0])[0].message()
    assert message["To"] == addresses[0]
    with store.engine.connect() as conn:
        attempts = conn.execute(select(t.delivery_attempts.c.outcome, t.delivery_attempts.c.code)).all()
        edition_status = conn.execute(select(t.editions.c.status)).scalar_one()
    assert sorted(set(attempts)) == [("sent", 250)] and len(attempts) == 60
    assert edition_status == "sent"


async def test_421_greeting_slows_down_and_everyone_still_gets_it(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 20)
    smtp.fail_greeting("421 4.7.0 too many connections, slow down", times=3)
    report = await send(store, settings_for(tmp_path, smtp), now)
    assert report.throttled >= 1
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}


async def test_451_and_452_are_retried_later_then_delivered(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 10)
    smtp.fail_recipient(addresses[2], "451 4.3.0 try again later", times=1)
    smtp.fail_recipient(addresses[5], "452 4.3.1 insufficient system storage", times=2)
    settings = settings_for(tmp_path, smtp, retry_base_seconds=60)
    first = await send(store, settings, now)
    assert (first.sent, first.retrying) == (8, 2)
    final = assert_nobody_lost(store, smtp, addresses)
    assert final[addresses[2]] == final[addresses[5]] == "retry"
    assert (await send(store, settings, now + timedelta(seconds=29))).attempts == 0  # backoff: not yet due
    second = await send(store, settings, now + timedelta(seconds=91))
    assert (second.sent, second.retrying) == (1, 1)
    third = await send(store, settings, now + timedelta(hours=1))
    assert third.sent == 1
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}
    with store.engine.connect() as conn:
        codes = conn.execute(select(t.delivery_attempts.c.code).where(t.delivery_attempts.c.code != 250)).scalars()
        assert sorted(codes) == [451, 452, 452]


async def test_550_fails_and_suppresses_that_address_only(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 8)
    smtp.fail_recipient(addresses[3], "550 5.1.1 no such user")
    report = await send(store, settings_for(tmp_path, smtp), now)
    assert (report.sent, report.failed, report.suppressed) == (7, 1, 1)
    final = assert_nobody_lost(store, smtp, addresses)
    assert final[addresses[3]] == "failed"
    entry = suppression(store, addresses[3])
    assert entry is not None and entry.reason == "hard_bounce" and "5.1.1" in entry.detail
    assert suppression(store, addresses[4]) is None
    with store.engine.connect() as conn:
        status = conn.execute(select(t.subscribers.c.status).where(t.subscribers.c.email == addresses[3])).scalar()
    assert status == "bounced"


async def test_554_at_data_is_ours_retried_and_never_suppresses_the_reader(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 6)
    smtp.fail_command("DATA", "554 Transaction failed", recipient=addresses[1])
    smtp.fail_command("DATA", "554 5.7.1 Message rejected as spam", recipient=addresses[2])
    report = await send(store, settings_for(tmp_path, smtp), now)
    assert (report.sent, report.retrying, report.failed) == (4, 2, 0)
    final = assert_nobody_lost(store, smtp, addresses)
    assert final[addresses[1]] == final[addresses[2]] == "retry"
    assert suppression(store, addresses[1]) is None  # a refusal about us, not the reader
    assert suppression(store, addresses[2]) is None  # a spam filter is no reason to drop a reader


async def test_connection_broken_mid_data_is_retried_and_the_rest_go_through(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 12)
    smtp.disconnect_on("DATA", recipient=addresses[4])
    settings = settings_for(tmp_path, smtp)
    report = await send(store, settings, now)
    assert (report.sent, report.retrying) == (11, 1)
    assert assert_nobody_lost(store, smtp, addresses)[addresses[4]] == "retry"
    await send(store, settings, now + timedelta(hours=1))
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}


async def test_a_stall_past_the_timeout_before_data_is_tried_again_without_charging_an_attempt(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 6)
    smtp.stall_recipient(addresses[0], 2.0)
    settings = settings_for(tmp_path, smtp, timeout_seconds=0.5)
    report = await send(store, settings, now)
    # the stalled one went back to wait, uncharged, and the same run sent it again
    assert (report.sent, report.retrying, report.untried) == (6, 0, 1)
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}
    a = t.delivery_attempts.c
    with store.engine.connect() as conn:
        (untried,) = conn.execute(select(a.delivery_id, a.message).where(a.outcome == "untried")).all()
        attempts = conn.execute(select(t.deliveries.c.attempts).where(t.deliveries.c.id == untried.delivery_id))
    assert "timed out" in untried.message and attempts.scalar_one() == 1


async def test_temporary_failures_give_up_after_max_attempts(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 3)
    smtp.fail_recipient(addresses[0], "450 4.2.1 mailbox busy")
    settings = settings_for(tmp_path, smtp, max_attempts=3, retry_base_seconds=1)
    at = now
    for _ in range(4):
        await send(store, settings, at)
        at += timedelta(hours=1)
    final = assert_nobody_lost(store, smtp, addresses)
    assert final[addresses[0]] == "failed"
    with store.engine.connect() as conn:
        row = conn.execute(select(t.deliveries.c.attempts, t.deliveries.c.last_error).where(
            t.deliveries.c.state == "failed")).one()  # fmt: skip
        soft = conn.execute(select(t.subscribers.c.soft_bounces).where(t.subscribers.c.email == addresses[0])).scalar()
    assert row.attempts == 3 and row.last_error.startswith("gave up after 3 attempts: 450")
    assert soft == 1


async def test_server_down_leaves_rows_for_later_without_losing_any(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 30)
    with SMTPServer() as gone:
        settings = settings_for(tmp_path, gone, reconnect_pause_ms=5)  # the tries, without the backoff
    # nothing listens on that port any more
    report = await send(store, settings, now)
    assert report.sent == 0 and "cannot connect" in report.server_down
    final = states(store)
    assert set(final.values()) <= {"pending", "retry"} and len(final) == 30
    with store.engine.connect() as conn:
        claimed = conn.execute(select(t.deliveries.c.id).where(t.deliveries.c.claimed_by.is_not(None))).all()
    assert claimed == []  # released for the next run
    with SMTPServer() as again:
        settings = settings_for(tmp_path, again)
        await send(store, settings, now + timedelta(hours=2))
        assert set(assert_nobody_lost(store, again, addresses).values()) == {"sent"}


async def test_stop_finishes_messages_in_flight_and_releases_the_rest(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 200)
    stop = asyncio.Event()

    class StoppingComposer(MimeComposer):
        def message_for(self, delivery: Any) -> Any:
            if len(self.composed) == 20:
                stop.set()
            return super().message_for(delivery)

    report = await send(store, settings_for(tmp_path, smtp, batch_size=100), now, stop=stop,
                        composer=StoppingComposer())  # fmt: skip
    # every row marked sending by then was either sent or put back to wait, uncharged
    assert report.sent >= 1 and report.sent + report.untried >= 20 and report.sent < 200
    final = states(store)
    assert "sending" not in final.values()
    with store.engine.connect() as conn:
        waiting = conn.execute(select(t.deliveries.c.attempts).where(t.deliveries.c.state != "sent")).scalars().all()
    assert len(waiting) == 200 - report.sent and set(waiting) == {0}  # nobody charged for the stop
    assert sum(1 for s in final.values() if s == "sent") == report.sent == len(smtp.received)
    with store.engine.connect() as conn:
        claimed = conn.execute(select(t.deliveries.c.id).where(t.deliveries.c.claimed_by.is_not(None))).all()
    assert claimed == []
    await send(store, settings_for(tmp_path, smtp), now)
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}


async def test_the_server_takes_a_connections_next_message_only_after_its_last_outcome_is_written(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What bounds the duplicates a kill can make: however slow the commits, the
    messages the server took whose outcome is not written are never more than the
    connections (a connection's next message waits for its last outcome's commit)."""
    addresses = prepare(store, now, 12)
    real_record = outcomes.record
    written = 0
    ahead: list[int] = []

    def slow_record(*args: Any, **kwargs: Any) -> Any:
        nonlocal written
        ahead.append(len(smtp.received) - written)  # taken by the server, not written yet
        time.sleep(0.05)
        recorded = real_record(*args, **kwargs)
        written = sum(1 for state in states(store).values() if state == "sent")
        return recorded

    monkeypatch.setattr(outcomes, "record", slow_record)
    report = await send(store, settings_for(tmp_path, smtp, connections=2), now)
    assert report.sent == 12 and max(ahead) <= 2
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}


async def test_two_senders_at_once_send_each_message_once(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now, 300)
    settings = settings_for(tmp_path, smtp, batch_size=20, connections=3)

    async def one(name: str) -> SendReport:
        return await run_sender(store, settings, MimeComposer(), sender_id=name, stop=asyncio.Event(), now=lambda: now)

    a, b = await asyncio.gather(one("a:1:0"), one("b:2:0"))
    assert a.sent > 0 and b.sent > 0 and a.sent + b.sent == 300
    assert set(assert_nobody_lost(store, smtp, addresses).values()) == {"sent"}


async def test_rate_limit_spaces_messages_across_the_pool(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    prepare(store, now, 40)
    await send(store, settings_for(tmp_path, smtp, rate_per_second=50.0, connections=4), now)
    stamps = sorted(r.at for r in smtp.received)
    assert len(stamps) == 40
    # a burst of a tenth of a second's worth (5), then 50/s, whatever the 4 connections do;
    # 35 paced messages make the span long enough (0.7 s) that a loaded machine's jitter in
    # when the server stamps the first and last one does not decide the outcome
    assert stamps[-1] - stamps[0] >= 35 / 50 * 0.8


class RawComposer:
    """Sends given bytes as they are, to see what the wire makes of them."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def message_for(self, delivery: Any) -> Any:
        from digest.models import OutgoingMessage

        return OutgoingMessage("bounces@example.org", delivery.subscriber.email, self.data, delivery_id=delivery.id)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # wire-ready bytes: sent as they are, leading dots doubled on the wire and undone by the server
        (b"Subject: dots\r\n\r\n.one\r\n..two\r\nend\r\n", b"Subject: dots\r\n\r\n.one\r\n..two\r\nend\r\n"),
        (b".Subject: odd\r\n\r\nx\r\n", b".Subject: odd\r\n\r\nx\r\n"),
        # bare LF / bare CR: never sent as they are (SMTP smuggling); aiosmtplib normalises them
        (b"Subject: lf\n\nline\n.\nafter\n", b"Subject: lf\r\n\r\nline\r\n.\r\nafter\r\n"),
        (b"Subject: cr\r\n\r\na\rb\r\n", b"Subject: cr\r\n\r\na\r\nb\r\n"),
    ],
)
async def test_message_bytes_arrive_exactly_as_composed(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path, data: bytes, expected: bytes
) -> None:
    (address,) = prepare(store, now, 1)
    report = await send(store, settings_for(tmp_path, smtp), now, composer=RawComposer(data))
    assert report.sent == 1
    (received,) = smtp.messages_to(address)
    assert received.data == expected
