"""Faults that are ours or temporary cost nobody their edition or their subscription:
`digest send` end to end against the scripted SMTP server with faults injected (a relay
refusing everyone, a relay down, 450s, a connection limit), and its exit status."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from delivery_support import add_edition, add_subscribers, delivered_to
from smtp_server import SMTPServer
from sqlalchemy import func, select
from test_deliver_cli import SECRET, run, write_config

from digest.store import Store
from digest.store import tables as t

D = t.deliveries.c
ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("DIGEST_TEST_DATABASE_URL", "")
RELAY_DENIED = "554 5.7.1 <reader0@example.org>: Relay access denied; authentication required"


def real_now() -> datetime:
    """`digest send` runs on the real clock: editions built now are fresh."""
    return datetime.now(UTC)


def wait_for_backoffs_to_end(store: Store, *, within: float) -> None:
    """Sleep until every row waiting for a retry is due (its ``due_at`` on the real
    clock), which must be at most ``within`` seconds away: the backoff's own end, not a
    guess at it."""
    with store.engine.connect() as conn:
        last = conn.execute(select(func.max(D.due_at)).where(D.state == "retry")).scalar_one()
    if last is None:
        return
    wait = (last - real_now()).total_seconds()
    assert wait <= within, f"a retry is due in {wait:.2f}s, after the {within}s backoff ceiling"
    time.sleep(max(0.0, wait) + 0.05)


def attempts_and_states(store: Store) -> tuple[set[int], dict[str, int]]:
    with store.engine.connect() as conn:
        attempts = set(conn.execute(select(D.attempts)).scalars())
        states = dict(conn.execute(select(D.state, func.count()).group_by(D.state)).tuples().all())
    return attempts, states


def suppressed(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.suppressions)).scalar_one())


def statuses(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(t.subscribers.c.status)).scalars())


def charged_attempts(store: Store) -> list[str]:
    """Attempt rows that cost a reader something (untried and refunded ones do not)."""
    a = t.delivery_attempts.c
    with store.engine.connect() as conn:
        return list(conn.execute(select(a.outcome).where(a.outcome.in_(["retry", "failed"]))).scalars())


def test_a_relay_refusing_everyone_stops_the_send_naming_5_7_1_and_charges_nobody(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 40, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    config = write_config(tmp_path, db_url, smtp)
    smtp.fail_command("RCPT", RELAY_DENIED, times=None)
    for args in ((), ("--retry-failed",), ("--retry-failed",)):
        result = run(config, "send", "--date", day.isoformat(), *args)
        assert result.exit_code == 1, result.output
        last = result.output.strip().splitlines()[-1]
        assert last.startswith("error: sending stopped:") and "554 5.7.1" in last and "Relay access denied" in last
    assert suppressed(store) == 0 and statuses(store) == {"confirmed"}
    attempts, states = attempts_and_states(store)
    assert attempts == {0} and set(states) <= {"pending", "retry"} and sum(states.values()) == 40
    assert charged_attempts(store) == [] or all(o == "retry" for o in charged_attempts(store))
    assert smtp.received == []

    smtp.reset()  # the relay fixed
    result = run(config, "send", "--date", day.isoformat())
    assert result.exit_code == 0, result.output
    assert "this run: 40 sent, 0 failed, 0 to retry" in result.output
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


@pytest.mark.slow(seconds=12)
def test_relay_down_for_seven_sends_then_back_delivers_everyone_once_and_charges_nothing(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 40, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    # A short reconnection pause ([smtp] reconnect_pause_ms, default 100): the same tries
    # and the same "down" verdict, without 2.7 s of backoff per send.
    config = write_config(tmp_path, db_url, smtp, "reconnect_pause_ms = 5\n")
    smtp.refuse_connections()
    for _ in range(7):
        result = run(config, "send", "--date", day.isoformat())
        assert result.exit_code == 1, result.output
        last = result.output.strip().splitlines()[-1]
        assert last.startswith(f"error: SMTP server unavailable ({smtp.host}:{smtp.port}: cannot connect")
    attempts, states = attempts_and_states(store)
    assert attempts == {0} and states == {"pending": 40} and charged_attempts(store) == []
    with store.engine.connect() as conn:
        edition_status = conn.execute(select(t.editions.c.status)).scalar_one()
    assert edition_status != "sent"

    smtp.accept_connections()
    result = run(config, "send", "--date", day.isoformat())
    assert result.exit_code == 0, result.output
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


@pytest.mark.slow(seconds=25)
def test_a_450_for_five_readers_never_suppresses_them_and_each_edition_reaches_them_once_it_clears(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 40, now=now)
    busy = addresses[3:40:8]
    assert len(busy) == 5
    # two attempts then failed, two soft bounces suppress (over no minimum of days): only
    # the reset on delivery and the retry of temporary failures keep these readers
    extra = "max_attempts = 2\nretry_base_seconds = 1\n[bounces]\nsoft_bounce_limit = 2\nsoft_bounce_days = 0\n"
    config = write_config(tmp_path, db_url, smtp, extra)
    days = [now.date() + timedelta(days=i) for i in range(3)]
    for day in days:
        add_edition(store, day=day, now=real_now())
        for address in busy:
            smtp.fail_recipient(address, "450 4.2.0 <mailbox busy>: try again later", times=None)
        codes = []
        for _ in range(6):  # six quick sends: the five wait for their backoff, never charged more
            result = run(config, "send", "--date", day.isoformat())
            codes.append(result.exit_code)
            time.sleep(0.4)
        assert set(codes) == {3}, codes  # readers still waiting: temporary
        assert "5 readers still waiting for the edition" in result.output.strip().splitlines()[-1]
        assert statuses(store) == {"confirmed"} and suppressed(store) == 0
        smtp.reset()  # the 450 clears
        wait_for_backoffs_to_end(store, within=3.0)  # the last backoff (1-3 s) ends
        result = run(config, "send", "--date", day.isoformat())
        assert result.exit_code == 0, result.output
    got = delivered_to(smtp.received)  # received since the last reset: the third day's
    assert {a: got.get(a, 0) for a in busy} == {a: 1 for a in busy}
    with store.engine.connect() as conn:
        sent = conn.execute(
            select(t.subscribers.c.email, func.count())
            .join(t.deliveries, D.subscriber_id == t.subscribers.c.id)
            .where(D.state == "sent")
            .group_by(t.subscribers.c.email)
        ).all()
        soft = set(conn.execute(select(t.subscribers.c.soft_bounces)).scalars())
    assert dict(sent) == {a: 3 for a in addresses}  # every reader has all three editions
    assert soft == {0} and statuses(store) == {"confirmed"}


def test_explicit_send_leaves_rows_in_backoff_and_now_forces_them_with_a_warning(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 6, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    config = write_config(tmp_path, db_url, smtp, "retry_base_seconds = 600\n")
    smtp.fail_recipient(addresses[2], "451 4.3.0 try again later", times=1)
    first = run(config, "send", "--date", day.isoformat())
    assert first.exit_code == 3 and "1 readers still waiting" in first.output
    again = run(config, "send", "--date", day.isoformat())
    assert again.exit_code == 3 and "1 wait for their retry time" in again.output
    assert len(smtp.messages_to(addresses[2])) == 0
    status = run(config, "status", "--date", day.isoformat())
    assert "retrying (1):" in status.output  # who is waiting, and until when
    assert f"{addresses[2]}: 451 4.3.0 try again later; attempt 2 at" in status.output
    forced = run(config, "send", "--date", day.isoformat(), "--now")
    assert forced.exit_code == 0, forced.output
    assert "warning: --now: 1 deliveries sent before the end of their retry backoff" in forced.output
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


def test_exit_status_is_0_when_all_delivered_1_for_a_fault_of_ours_3_for_readers_still_waiting(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    add_subscribers(store, 12, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    missing = tmp_path / "no-such-ca.pem"
    (tmp_path / "bad").mkdir()
    bad = write_config(tmp_path / "bad", db_url, smtp, f'security = "starttls"\nca_file = "{missing}"\n')
    ours = run(bad, "send", "--date", day.isoformat())
    config = write_config(tmp_path, db_url, smtp)
    assert ours.exit_code == 1 and f"ca_file {missing}: no such file" in ours.output
    assert attempts_and_states(store)[0] in (set(), {0})
    smtp.fail_recipient("reader5@example.org", "452 4.2.2 mailbox full", times=1)
    waiting = run(config, "send", "--date", day.isoformat())
    assert waiting.exit_code == 3, waiting.output
    assert "this run: 11 sent, 0 failed, 1 to retry" in waiting.output
    done = run(config, "send", "--date", day.isoformat(), "--now")
    assert done.exit_code == 0 and "this run: 1 sent" in done.output


def test_552_at_mail_from_stops_the_send_naming_it_and_nobody_is_charged(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 8, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    config = write_config(tmp_path, db_url, smtp)
    smtp.fail_command("MAIL", "552 5.3.4 Message size exceeds fixed limit", times=None)
    result = run(config, "send", "--date", day.isoformat())
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    refusal = "MAIL FROM refused: 552 5.3.4 Message size exceeds fixed limit"
    assert last == f"error: sending stopped: {smtp.host}:{smtp.port}: {refusal}"
    assert attempts_and_states(store) == ({0}, {"pending": 8}) and charged_attempts(store) == []
    smtp.reset()
    assert run(config, "send", "--date", day.isoformat()).exit_code == 0
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


@pytest.mark.slow(seconds=6)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_relay_limiting_connections_gets_no_more_than_a_handful_of_421s_and_every_message(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 2000, now=now)
    day: date = now.date()
    add_edition(store, day=day, now=real_now())
    smtp.limit_connections(2)
    config = write_config(tmp_path, db_url, smtp).read_text().replace("connections = 3", "connections = 8")
    (tmp_path / "limited.toml").write_text(config)
    result = run(tmp_path / "limited.toml", "send", "--date", day.isoformat())
    assert result.exit_code == 0, result.output
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}
    assert 1 <= smtp.refused_over_limit <= 6, smtp.refused_over_limit


def _start(config: Path, day: date, log: Path) -> subprocess.Popen[bytes]:
    """`digest send` in a process group of its own, as a terminal runs it (its helper
    processes join the group, so Ctrl-C reaches them too)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "digest", "--config", str(config), "send", "--date", day.isoformat()],
            cwd=ROOT,
            env=os.environ | {"DIGEST_SECRET_KEY": SECRET},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.slow(seconds=6)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_ctrl_c_stops_a_throttled_send_within_ten_seconds_with_nothing_lost_or_charged(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    # 800 readers: the send is well under way (a fifth delivered) when Ctrl-C comes, and
    # the resend after it stays short; the 2,000-message throttled send is the test above.
    addresses = add_subscribers(store, 800, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    smtp.limit_connections(2)
    text = write_config(tmp_path, db_url, smtp).read_text()
    config = tmp_path / "two.toml"
    config.write_text(text.replace("connections = 3", "connections = 8").replace("processes = 1", "processes = 2"))
    proc = _start(config, day, tmp_path / "send.log")
    try:
        smtp.wait_for(160, timeout=60)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        code = proc.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = (tmp_path / "send.log").read_text()
    assert took < 10, (took, output)
    assert code == 3, output
    assert "readers still waiting" in output.strip().splitlines()[-1]
    with store.engine.connect() as conn:
        rows = conn.execute(select(D.state, D.attempts)).all()
    assert not [r for r in rows if r.state == "sending"]
    assert {r.attempts for r in rows if r.state != "sent"} == {0}  # nobody charged for the stop
    assert sum(1 for r in rows if r.state == "sent") == len(smtp.received)
    result = run(config, "send", "--date", day.isoformat())
    assert result.exit_code == 0, result.output
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


@pytest.mark.slow(seconds=20)
@pytest.mark.parametrize(
    "db_url",
    [pytest.param("postgresql", marks=pytest.mark.skipif(not PG, reason="DIGEST_TEST_DATABASE_URL not set"))],
    indirect=True,
)
def test_two_concurrent_senders_summaries_add_up_to_the_messages_delivered(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 1500, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    text = write_config(tmp_path, db_url, smtp).read_text()
    config = tmp_path / "two.toml"
    config.write_text(text.replace("processes = 1", "processes = 2"))
    procs = [_start(config, day, tmp_path / f"send{i}.log") for i in range(2)]
    for proc in procs:
        proc.wait(timeout=120)
    outputs = [(tmp_path / f"send{i}.log").read_text() for i in range(2)]
    runs = [re.search(r"this run: ([\d,]+) sent, ([\d,]+) failed", out) for out in outputs]
    assert all(runs), outputs
    sent = [int(m.group(1).replace(",", "")) for m in runs if m]
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}
    assert sum(sent) == len(smtp.received) == 1500, (sent, outputs)
    assert [p.returncode for p in procs] == [0, 0], outputs


@pytest.mark.slow(seconds=9)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_helper_processes_say_why_they_stopped(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    add_subscribers(store, 1200, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    text = write_config(tmp_path, db_url, smtp).read_text()
    config = tmp_path / "helpers.toml"
    config.write_text(text.replace("processes = 1", "processes = 2"))
    smtp.fail_command("RCPT", RELAY_DENIED, times=None)
    result = run(config, "send", "--date", day.isoformat())
    assert result.exit_code == 1, result.output
    assert "Relay access denied" in result.output.strip().splitlines()[-1]
    helper = [line for line in result.output.splitlines() if line.startswith("warning: helper sender")]
    assert helper and all("exited with 1: error: sending stopped:" in line and "5.7.1" in line for line in helper)
    attempts, states = attempts_and_states(store)
    assert attempts == {0} and suppressed(store) == 0 and set(states) <= {"pending"}


def test_the_reply_that_stopped_a_send_is_kept_on_every_row_without_another_readers_address(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    """A relay's refusal names the recipient ("554 5.7.1 <a@b>: ..."); the note left on
    every refunded row says why the send stopped, with that address masked."""
    addresses = add_subscribers(store, 12, now=now)
    day = now.date()
    add_edition(store, day=day, now=real_now())
    for address in addresses:
        smtp.fail_recipient(address, f"554 5.7.1 <{address}>: Relay access denied", times=None)
    result = run(write_config(tmp_path, db_url, smtp), "send", "--date", day.isoformat())
    assert result.exit_code == 1, result.output
    with store.engine.connect() as conn:
        notes = [n for n in conn.execute(select(t.deliveries.c.last_error)).scalars() if n]
        messages = [m for m in conn.execute(select(t.delivery_attempts.c.message)).scalars() if m]
    refunded = [n for n in notes if n.startswith("not charged: the send stopped")]
    assert refunded and all("554 5.7.1 <" in n and "***@example.org>" in n for n in refunded), notes
    assert not [text for text in notes + messages if "not charged" in text and any(a in text for a in addresses)]
