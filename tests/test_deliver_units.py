"""The small pieces of delivery on their own: reply classification, backoff, the rate
pacer (on a simulated clock), envelope templates, dead-sender detection."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiosmtplib
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest import config
from digest.deliver.ledger import local_dead_senders, sender_id
from digest.deliver.pacer import SendPacer
from digest.deliver.pool import MAX_RECONNECT_PAUSE, Connection, SMTPConfig
from digest.deliver.replies import (
    MAX_BACKOFF,
    Fault,
    Stage,
    Verdict,
    backoff,
    enhanced_status,
    from_exception,
    from_reply,
)
from digest.errors import ConfigError
from digest.mail.envelope import check_template, envelope_from, is_verp


def refused(code: int, message: str) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(code, message, "a@example.org")])


@pytest.mark.parametrize(
    ("exc", "verdict", "suppress", "throttle", "fault", "charged"),
    [
        (refused(550, "5.1.1 no such user"), Verdict.FAILED, True, False, Fault.READER, True),
        (refused(550, "no such user"), Verdict.FAILED, True, False, Fault.READER, True),
        (refused(550, "5.2.1 mailbox disabled"), Verdict.FAILED, True, False, Fault.READER, True),
        (refused(554, "5.7.1 blocked by policy"), Verdict.RETRY, False, False, Fault.OURS, True),
        (refused(554, "5.7.1 Relay access denied"), Verdict.RETRY, False, False, Fault.OURS, True),
        (refused(550, "5.5.1 syntax"), Verdict.RETRY, False, False, Fault.OURS, True),
        (refused(552, "5.2.2 mailbox full"), Verdict.RETRY, False, False, Fault.TEMPORARY, True),
        (refused(451, "4.3.0 try again later"), Verdict.RETRY, False, False, Fault.TEMPORARY, True),
        (refused(450, "4.2.0 mailbox busy"), Verdict.RETRY, False, False, Fault.TEMPORARY, True),
        (refused(450, "4.7.28 rate limited, slow down"), Verdict.RETRY, False, True, Fault.TEMPORARY, False),
        (refused(421, "4.7.0 too many connections"), Verdict.RETRY, False, True, Fault.TEMPORARY, False),
        (aiosmtplib.SMTPDataError(554, "Transaction failed"), Verdict.RETRY, False, False, Fault.OURS, True),
        (aiosmtplib.SMTPDataError(552, "5.3.4 message too big"), Verdict.RETRY, False, False, Fault.OURS, True),
        (aiosmtplib.SMTPDataError(552, "message too big"), Verdict.RETRY, False, False, Fault.OURS, True),
        (aiosmtplib.SMTPDataError(451, "4.3.0 local error"), Verdict.RETRY, False, False, Fault.TEMPORARY, True),
        (aiosmtplib.SMTPDataError(454, "4.7.0 throttled"), Verdict.RETRY, False, True, Fault.TEMPORARY, False),
        (aiosmtplib.SMTPServerDisconnected("gone"), Verdict.RETRY, False, False, Fault.TEMPORARY, True),
        (aiosmtplib.SMTPReadTimeoutError("no reply"), Verdict.RETRY, False, False, Fault.TEMPORARY, True),
        (aiosmtplib.SMTPConnectResponseError(421, "busy"), Verdict.RETRY, False, True, Fault.TEMPORARY, False),
        (ConnectionRefusedError(111, "refused"), Verdict.RETRY, False, False, Fault.OURS, False),
    ],
)
def test_replies_are_classified_per_rfc_5321_by_whose_fault_they_are(
    exc: BaseException, verdict: Verdict, suppress: bool, throttle: bool, fault: Fault, charged: bool
) -> None:
    outcome = from_exception(exc)
    assert (outcome.verdict, outcome.suppress, outcome.throttle) == (verdict, suppress, throttle)
    assert (outcome.fault, outcome.charged) == (fault, charged)
    assert not outcome.fatal


def test_552_at_mail_from_is_ours_stops_the_send_and_charges_nobody() -> None:
    outcome = from_exception(aiosmtplib.SMTPSenderRefused(552, "5.3.4 message size exceeds limit", "b@x.org"))
    assert outcome.fatal and outcome.fault is Fault.OURS and not outcome.charged


def test_sender_refused_and_login_refused_stop_the_send_without_failing_readers() -> None:
    mail = from_exception(aiosmtplib.SMTPSenderRefused(550, "5.7.1 sender not allowed", "b@example.org"))
    login = from_exception(aiosmtplib.SMTPAuthenticationError(535, "5.7.8 bad credentials"))
    for outcome in (mail, login):
        assert outcome.fatal and outcome.verdict is Verdict.RETRY and not outcome.suppress


def test_a_lost_connection_is_retried_and_reconnected() -> None:
    outcome = from_exception(aiosmtplib.SMTPServerDisconnected("Connection lost"))
    assert outcome.broken and outcome.stage is Stage.UNKNOWN and "connection lost" in outcome.message


@pytest.mark.parametrize(("body", "first"), [("", 0.1), ("[smtp]\nreconnect_pause_ms = 250\n", 0.25)])
def test_the_reconnect_pause_starts_at_the_setting_and_doubles_to_five_seconds(
    tmp_path: Path, body: str, first: float
) -> None:
    path = tmp_path / "digest.toml"
    path.write_text(body, encoding="utf-8")
    connection = Connection(SMTPConfig.from_settings(config.load(path, env={})), 0)
    pauses = []
    for failures in range(8):
        connection.failures = failures
        pauses.append(connection.pause())
    assert pauses[:3] == [0.0, first, 2 * first]
    assert pauses == [0.0, *(min(MAX_RECONNECT_PAUSE, first * 2**n) for n in range(7))]
    assert pauses[-1] == MAX_RECONNECT_PAUSE == 5.0


def test_421_at_any_stage_drops_the_connection() -> None:
    assert from_reply(421, "4.3.2 shutting down", Stage.RCPT).broken
    assert not from_reply(451, "4.3.0 later", Stage.RCPT).broken


@given(klass=st.sampled_from([2, 4, 5]), subject=st.integers(0, 999), detail=st.integers(0, 999))
def test_enhanced_status_codes_parse(klass: int, subject: int, detail: int) -> None:
    assert enhanced_status(f"{klass}.{subject}.{detail} whatever") == (klass, subject, detail)
    assert enhanced_status(f"no code {klass}.{subject}.{detail}") is None


@given(attempt=st.integers(1, 40), base=st.floats(1, 600), seed=st.integers(0, 2**32))
def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(attempt: int, base: float, seed: int) -> None:
    delay = backoff(attempt, base, random.Random(seed)).total_seconds()
    nominal = base * 2 ** (attempt - 1)
    assert delay <= MAX_BACKOFF.total_seconds()
    assert min(nominal * 0.5, MAX_BACKOFF.total_seconds()) <= delay + 1e-9
    assert delay < nominal * 1.5 + 1e-9


def test_backoff_spreads_rows_that_failed_together() -> None:
    rng = random.Random(1)
    delays = {backoff(3, 60, rng) for _ in range(20)}
    assert len(delays) == 20 and all(timedelta(seconds=120) <= d < timedelta(seconds=360) for d in delays)


class Clock:
    """A simulated monotonic clock whose sleep advances it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


async def test_token_bucket_paces_to_the_configured_rate() -> None:
    clock = Clock()
    pacer = SendPacer(10.0, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(51):
        await pacer.acquire()
    assert 4.9 <= clock.now - start <= 5.1  # 50 intervals of 1/10 s after the first token


async def test_throttling_halves_the_rate_pauses_then_recovers_to_the_cap() -> None:
    clock = Clock()
    pacer = SendPacer(20.0, clock=clock, sleep=clock.sleep)
    pacer.slow_down()
    assert pacer.rate == 10.0
    before = clock.now
    await pacer.acquire()
    assert clock.now - before >= 0.25  # the pool paused
    for _ in range(200):
        await pacer.acquire()
        pacer.accepted()
    assert pacer.rate == 20.0


async def test_unlimited_pool_gets_a_cap_under_throttling_and_loses_it_after() -> None:
    clock = Clock()
    pacer = SendPacer(0.0, clock=clock, sleep=clock.sleep)
    for _ in range(400):  # 100 messages/s for 4 s
        await pacer.acquire()
        pacer.accepted()
        clock.now += 0.01
    pacer.slow_down()
    assert pacer.limited and 40 <= pacer.rate <= 60
    for _ in range(300):
        await pacer.acquire()
        pacer.accepted()
    assert not pacer.limited


def test_envelope_templates() -> None:
    assert envelope_from("", "Le Brief <brief@example.org>", "a@b.org") == "brief@example.org"
    assert envelope_from("bounces@example.org", "x", "a@b.org") == "bounces@example.org"
    verp = "b+{local}={domain}@bounce.example.org"
    assert envelope_from(verp, "x", "jo{x}@b.org") == "b+jo{x}=b.org@bounce.example.org"
    assert is_verp("b+{local}={domain}@x.org") and not is_verp("b@x.org")
    check_template("b+{local}={domain}@bounce.example.org")
    with pytest.raises(ConfigError, match="both"):
        check_template("b+{local}@bounce.example.org")
    with pytest.raises(ConfigError, match="expected an address"):
        check_template("bounces")


def test_dead_local_senders_are_recognised_by_their_pid() -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    gone = int(proc.stdout)
    host = sender_id().split(":")[0]
    ids = [f"{host}:{gone}:0", sender_id(1), f"other-host:{gone}:0", "garbage"]
    assert local_dead_senders(ids) == [f"{host}:{gone}:0"]


def test_wire_form_takes_the_fast_path_only_for_clean_bytes() -> None:
    from digest.deliver.pool import wire_form
    from digest.models import OutgoingMessage

    def form(data: bytes, to: str = "a@example.org") -> bytes | None:
        return wire_form(OutgoingMessage("b@example.org", to, data))

    assert form(b"A: b\r\n\r\n.x\r\n") == b"A: b\r\n\r\n..x\r\n"
    assert form(b".A: b\r\n\r\nx\r\n") == b"..A: b\r\n\r\nx\r\n"
    assert form(b"A: b\r\n\r\nx") is None  # no final CRLF
    assert form(b"A: b\n\r\nx\r\n") is None  # bare LF
    assert form(b"A: b\r\n\r\nx\ry\r\n") is None  # bare CR
    assert form(b"A: b\r\n\r\nx\r\n", to="jos\u00e9@example.org") is None  # not plain ASCII
    assert form(b"A: b\r\n\r\nx\r\n", to="<a@example.org>") is None


async def test_a_wait_cancelled_while_its_interrupt_winds_down_is_cancelled_not_resumed() -> None:
    """The hang behind a sender that never exited: its connections, waiting in the pool
    for their turn, were cancelled at the end of the send just as the pool's limit
    changed; the cancellation reached them while the stop watcher was winding down and
    was taken for the watcher's own, so they went back to waiting for ever."""
    import asyncio

    from digest.deliver.pool import _first_of

    winding_down = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            winding_down.set()
            await asyncio.sleep(0.2)  # a child that takes a moment to stop
            raise

    outer = asyncio.ensure_future(_first_of(asyncio.sleep(0), slow_to_stop()))
    await asyncio.wait_for(winding_down.wait(), timeout=5)
    outer.cancel()  # the caller is cancelled while _first_of waits for the child to stop
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(outer, timeout=5)


async def test_a_connection_waiting_for_its_turn_stops_when_cancelled_as_the_limit_changes() -> None:
    """Pool.admit, as a sender's connection waits in it: cancelled in the same moment the
    pool grows (but not enough for it), it ends instead of waiting again."""
    import asyncio

    from digest.deliver.pool import Pool

    for cancel_at in range(6):  # a cancellation landing at each moment of its waking
        pool = Pool(SMTPConfig(host="127.0.0.1", port=1), 4)  # limit 1: connection 3 waits
        waiting = asyncio.ensure_future(pool.admit(3))
        for _ in range(3):
            await asyncio.sleep(0)
        assert not waiting.done()
        pool._set_limit(2, "one more")  # wakes it; it must wait again (3 >= 2)
        for turn in range(6):
            await asyncio.sleep(0)
            if turn == cancel_at:
                waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(waiting, timeout=2)
