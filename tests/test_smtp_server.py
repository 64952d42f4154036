"""The test SMTP server itself: records exact bytes, and each fault does what it says."""

from __future__ import annotations

import smtplib

import pytest
from smtp_server import SMTPServer

MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody line\r\n.leading dot\r\n"


def send(
    server: SMTPServer, rcpts: list[str], data: bytes = MESSAGE, timeout: float = 5.0
) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(server.host, server.port, timeout=timeout) as client:
        return client.sendmail("a@example.org", rcpts, data)


def test_server_listens_on_a_free_port_and_records_envelope_and_bytes(smtp: SMTPServer) -> None:
    assert smtp.port > 0
    send(smtp, ["b@example.org", "c@example.org"])
    (got,) = smtp.wait_for(1)
    assert got.mail_from == "a@example.org"
    assert got.rcpt_tos == ("b@example.org", "c@example.org")
    assert got.data == MESSAGE  # dot-unstuffed, CRLF kept
    assert got.message()["Subject"] == "hi"
    assert smtp.messages_to("C@example.org") == [got]
    assert smtp.connections == 1


def test_recipient_fault_fires_the_given_number_of_times(smtp: SMTPServer) -> None:
    smtp.fail_recipient("b@example.org", "451 4.2.0 try later", times=2)
    for _ in range(2):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
            send(smtp, ["b@example.org"])
        assert info.value.recipients["b@example.org"][0] == 451
    send(smtp, ["b@example.org"])
    assert len(smtp.received) == 1


def test_permanent_recipient_fault_refuses_only_that_recipient(smtp: SMTPServer) -> None:
    smtp.fail_recipient("bad@example.org", "550 5.1.1 no such user")
    refused = send(smtp, ["bad@example.org", "good@example.org"])
    assert refused == {"bad@example.org": (550, b"5.1.1 no such user")}
    assert smtp.received[0].rcpt_tos == ("good@example.org",)


def test_data_fault_rejects_the_message(smtp: SMTPServer) -> None:
    smtp.fail_command("DATA", "554 5.7.1 rejected")
    with pytest.raises(smtplib.SMTPDataError) as info:
        send(smtp, ["b@example.org"])
    assert info.value.smtp_code == 554
    assert smtp.received == []
    send(smtp, ["b@example.org"])
    assert len(smtp.received) == 1


def test_disconnect_on_data_gives_no_reply_and_records_nothing(smtp: SMTPServer) -> None:
    smtp.disconnect_on("DATA")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send(smtp, ["b@example.org"])
    assert smtp.received == []


def test_greeting_fault_refuses_the_connection(smtp: SMTPServer) -> None:
    smtp.fail_greeting("421 4.3.2 busy")
    with pytest.raises(smtplib.SMTPConnectError) as info:
        smtplib.SMTP(smtp.host, smtp.port, timeout=5)
    assert info.value.smtp_code == 421
    send(smtp, ["b@example.org"])
    assert smtp.connections == 2


def test_stall_makes_a_client_time_out(smtp: SMTPServer) -> None:
    smtp.stall_on("MAIL", seconds=2)
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        send(smtp, ["b@example.org"], timeout=0.3)


def test_long_messages_come_back_whole_and_a_session_goes_on_after_each() -> None:
    """DATA read in chunks: a message far over one chunk, whose lines include a lone
    stuffed dot and dots at every chunk boundary, is recorded byte for byte; the next
    message on the same connection too; one over the size limit gets 552."""
    lines = [f"line {n:06d} ".encode() + b"x" * 60 for n in range(3000)]
    lines[1500] = b"."  # a line that is only a dot: stuffed to ".." on the wire
    body = b"Subject: long\r\n\r\n" + b"\r\n".join(b"." + line if n % 97 == 0 else line for n, line in enumerate(lines))
    body += b"\r\n"
    with SMTPServer(data_size_limit=300_000) as server:
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.sendmail("a@example.org", ["b@example.org"], body)
            client.sendmail("a@example.org", ["c@example.org"], MESSAGE)
            client.mail("a@example.org")  # no SIZE= declared: the limit is found in DATA
            client.rcpt("d@example.org")
            code, _ = client.data(body + body)
            assert code == 552
            client.sendmail("a@example.org", ["e@example.org"], MESSAGE)  # the session is still usable
        got = server.wait_for(3)
    assert [g.rcpt_tos for g in got] == [("b@example.org",), ("c@example.org",), ("e@example.org",)]
    assert got[0].data == body and got[1].data == MESSAGE and got[2].data == MESSAGE
