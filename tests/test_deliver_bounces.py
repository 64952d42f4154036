"""Bounces that come back later: RFC 3464 DSNs and ARF complaints read from a file, an
mbox or a Maildir; hard bounces suppress at once, soft ones at the limit."""

from __future__ import annotations

import contextlib
import mailbox
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from delivery_support import add_edition, add_subscribers, subscriber_id
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from digest import config
from digest.deliver.bounce_reports import NotAReport, classify, import_bounces, parse_report
from digest.mail.envelope import envelope_from, recipient_from_verp
from digest.store import Store
from digest.store import tables as t
from digest.store.bounces import BounceKind
from digest.store.fanout import fan_out
from digest.store.subscribers import suppression

VERP = "bounces+{local}={domain}@bounce.example.org"


def dsn(
    recipient: str,
    *,
    status: str = "5.1.1",
    action: str = "failed",
    diagnostic: str = "smtp; 550 5.1.1 <{r}>: Recipient address rejected: User unknown",
    message_id: str = "<dsn-1@mx.example.net>",
    to: str | None = None,
    final: str | None = None,
) -> bytes:
    """A DSN shaped like Postfix's."""
    to = to if to is not None else envelope_from(VERP, "", recipient)
    final = final if final is not None else f"rfc822; {recipient}"
    text = f"""From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Message-ID: {message_id}
Date: Sun, 29 Nov 2026 06:05:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="B0UND"

--B0UND
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--B0UND
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 3F1A2C0042
Arrival-Date: Sun, 29 Nov 2026 06:00:01 +0000

Final-Recipient: {final}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: {diagnostic.format(r=recipient)}

--B0UND
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Le Brief <brief@example.org>
To: {recipient}
Subject: Le Brief du 29 novembre

--B0UND--
"""
    return text.replace("\n", "\r\n").encode("ascii")


def arf(recipient: str, *, message_id: str = "<arf-1@fbl.example.net>") -> bytes:
    text = f"""From: fbl@fbl.example.net
To: abuse@example.org
Subject: FW: Le Brief
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain; charset=us-ascii

This is an email abuse report.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeFBL/1.0
Version: 1
Original-Rcpt-To: <{recipient}>

--ARF
Content-Type: text/rfc822-headers

From: Le Brief <brief@example.org>
To: {recipient}

--ARF--
"""
    return text.replace("\n", "\r\n").encode("ascii")


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    path = tmp_path / "digest.toml"
    path.write_text(f'[smtp]\nenvelope_from = "{VERP}"\n[bounces]\nsoft_limit = 2\n', encoding="utf-8")
    return config.load(path, env={})


def status_of(store: Store, address: str) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(select(t.subscribers.c.status).where(t.subscribers.c.email == address)).scalar_one())


def test_hard_bounce_suppresses_at_once_and_skips_open_deliveries(
    store: Store, settings: config.Settings, now: datetime, tmp_path: Path
) -> None:
    address, other = add_subscribers(store, 2, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now + timedelta(hours=1), now=now)
    path = tmp_path / "bounce.eml"
    path.write_bytes(dsn(address))
    summary = import_bounces(store, settings, path, now=now)
    assert (summary.messages, summary.hard, summary.suppressed) == (1, 1, 1)
    entry = suppression(store, address)
    assert entry is not None and entry.reason == "hard_bounce" and "5.1.1" in entry.detail
    assert address not in entry.detail  # the stored text masks the address
    assert status_of(store, address) == "bounced" and status_of(store, other) == "confirmed"
    with store.engine.connect() as conn:
        row = conn.execute(
            select(t.deliveries.c.state).where(t.deliveries.c.subscriber_id == subscriber_id(store, address))
        ).scalar_one()
    assert row == "skipped"


def test_importing_the_same_report_twice_counts_it_once(
    store: Store, settings: config.Settings, now: datetime, tmp_path: Path
) -> None:
    (address,) = add_subscribers(store, 1, now=now)
    path = tmp_path / "soft.eml"
    path.write_bytes(dsn(address, status="4.4.7", diagnostic="smtp; 450 4.4.7 delivery time expired"))
    assert import_bounces(store, settings, path, now=now).soft == 1
    again = import_bounces(store, settings, path, now=now)
    assert (again.soft, again.duplicates) == (0, 1)
    assert suppression(store, address) is None  # one soft bounce, limit 2


def test_soft_bounces_suppress_at_the_limit_only_once_they_span_the_days(
    store: Store, settings: config.Settings, now: datetime, tmp_path: Path
) -> None:
    (address,) = add_subscribers(store, 1, now=now)
    days = settings.bounces.soft_bounce_days
    assert days >= 1
    # limit 2: the second within the hour does not suppress (a 450 never does within a
    # day), the third, once the run of soft bounces spans the days, does
    for i, at in enumerate((now, now + timedelta(hours=1), now + timedelta(days=days))):
        path = tmp_path / f"soft{i}.eml"
        path.write_bytes(dsn(address, status="4.2.2", message_id=f"<soft-{i}@mx>", diagnostic="smtp; 452 4.2.2 full"))
        import_bounces(store, settings, path, now=at)
        entry = suppression(store, address)
        assert (entry is not None) == (i == 2)
    assert entry is not None and entry.reason == "soft_bounce"


def test_maildir_reports_are_read_and_moved_to_cur(
    store: Store, settings: config.Settings, now: datetime, tmp_path: Path
) -> None:
    a, b, c = add_subscribers(store, 3, now=now)
    box = mailbox.Maildir(tmp_path / "Bounces", create=True)
    box.add(dsn(a, message_id="<m1@mx>"))
    box.add(dsn(b, action="delayed", status="4.4.1", message_id="<m2@mx>"))
    box.add(arf(c))
    box.add(b"From: someone@example.net\r\nSubject: out of office\r\n\r\nI am away.\r\n")
    box.close()
    summary = import_bounces(store, settings, tmp_path / "Bounces", now=now)
    assert (summary.messages, summary.hard, summary.soft, summary.complaints) == (4, 1, 0, 1)
    assert len(summary.ignored) == 1 and "not a report" in summary.ignored[0]
    assert suppression(store, a) is not None and suppression(store, b) is None
    complaint = suppression(store, c)
    assert complaint is not None and complaint.reason == "complaint"
    assert not list((tmp_path / "Bounces" / "new").iterdir())
    assert len(list((tmp_path / "Bounces" / "cur").iterdir())) == 4
    assert import_bounces(store, settings, tmp_path / "Bounces", now=now).duplicates == 2


def test_mbox_with_several_reports(store: Store, settings: config.Settings, now: datetime, tmp_path: Path) -> None:
    a, b = add_subscribers(store, 2, now=now)
    box = mailbox.mbox(tmp_path / "bounces.mbox")
    box.add(dsn(a, message_id="<x1@mx>"))
    box.add(dsn(b, message_id="<x2@mx>"))
    box.close()
    summary = import_bounces(store, settings, tmp_path / "bounces.mbox", now=now)
    assert summary.hard == 2 and suppression(store, a) and suppression(store, b)


def test_verp_names_the_reader_when_the_report_is_garbled(settings: config.Settings) -> None:
    (bounce,) = parse_report(dsn("jane.doe@example.com", final="rfc822; (unknown)"), verp_template=VERP)
    assert bounce.address == "jane.doe@example.com" and bounce.kind is BounceKind.HARD


def test_forwarded_address_is_traced_back_to_the_subscriber() -> None:
    data = dsn("reader@example.org", final="rfc822; reader.forward@elsewhere.net")
    (bounce,) = parse_report(data, verp_template=VERP)
    assert bounce.address == "reader@example.org"


def test_policy_refusals_are_soft_not_hard() -> None:
    assert classify("failed", "5.7.1", "smtp; 554 5.7.1 spam") is BounceKind.OURS  # never the reader's bounce
    assert classify("failed", "5.2.2", "smtp; 552 5.2.2 mailbox full") is BounceKind.SOFT
    assert classify("failed", "5.1.10", "smtp; 550 5.1.10 null MX") is BounceKind.HARD
    assert classify("failed", "", "smtp; 550 no such user") is BounceKind.HARD
    assert classify("delayed", "4.4.1", "") is None
    assert classify("delivered", "2.0.0", "") is None


def test_a_missing_source_is_a_one_line_error(store: Store, settings: config.Settings, tmp_path: Path) -> None:
    from digest.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no such file"):
        import_bounces(store, settings, tmp_path / "nope.eml", now=datetime.now().astimezone())


def test_plain_mail_is_not_a_report() -> None:
    with pytest.raises(NotAReport):
        parse_report(b"From: a@b.c\r\nSubject: hello\r\n\r\nhi\r\n")


local_parts = st.from_regex(r"[a-z0-9][a-z0-9.+=_-]{0,20}[a-z0-9]", fullmatch=True)
domains = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,8}){1,2}", fullmatch=True)


@given(local=local_parts, domain=domains)
def test_verp_round_trip(local: str, domain: str) -> None:
    recipient = f"{local}@{domain}"
    assert recipient_from_verp(VERP, envelope_from(VERP, "", recipient)) == recipient
    assert recipient_from_verp(VERP, f"<{envelope_from(VERP, '', recipient).upper()}>") == recipient.upper()


@given(
    local=local_parts,
    domain=domains,
    klass=st.sampled_from([4, 5]),
    subject=st.integers(0, 7),
    detail=st.integers(0, 30),
)
def test_dsn_round_trip(local: str, domain: str, klass: int, subject: int, detail: int) -> None:
    recipient = f"{local}@{domain}"
    status = f"{klass}.{subject}.{detail}"
    (bounce,) = parse_report(dsn(recipient, status=status, diagnostic=f"smtp; {klass}50 {status} refused"))
    assert bounce.address == recipient and bounce.status == status
    ours = klass == 5 and (subject in (3, 5, 6, 7) or (subject, detail) == (2, 3))
    hard = klass == 5 and not ours and (subject, detail) != (2, 2)
    assert bounce.kind is (BounceKind.OURS if ours else BounceKind.HARD if hard else BounceKind.SOFT)


@given(st.binary(max_size=400))
def test_parsing_arbitrary_bytes_never_crashes(data: bytes) -> None:
    with contextlib.suppress(NotAReport):
        parse_report(data)
