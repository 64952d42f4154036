"""The double opt-in mail: its bytes, and how sending it meets a real SMTP server's faults."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from smtp_server import SMTPServer
from web_support import csrf_token, web_settings

from digest.deliver.mailer import SMTPMailer
from digest.errors import DeliveryError
from digest.mail.transactional import confirmation_message
from digest.models import Subscriber, SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.web.app import create_app

URL = "https://brief.example.org/confirm/MQ.abc.def"


def person(email_address: str = "zoe@example.org", *, name: str = "Zoé", language: str = "fr") -> Subscriber:
    return Subscriber(email=email_address, name=name, language=language, id=42)


def test_confirmation_is_a_clean_multipart_message_in_the_subscribers_language(
    tmp_path: Path, smtp: SMTPServer, now: datetime
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    msg = confirmation_message(settings, person(name='Zoé "<b>" Dupont'), URL, now=now)
    data = msg.as_bytes()
    assert all(b < 128 for b in data) and b"\r\n" in data
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
    parsed = email.message_from_bytes(data, policy=email.policy.default.clone(raise_on_defect=True))
    assert parsed["Subject"] == "Le Brief\u00a0: confirmez votre inscription"
    assert parsed["From"] == "Le Brief <brief@example.org>" and parsed["Message-ID"].endswith("@example.org>")
    assert parsed["To"].addresses[0].addr_spec == "zoe@example.org"
    assert parsed["Date"].datetime == now and parsed["Content-Language"] == "fr"
    assert "List-Unsubscribe" not in parsed
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in parts)
    text, html = parts[0].get_content(), parts[1].get_content()
    assert URL in text and f'href="{URL}"' in html
    assert 'lang="fr"' in html and 'role="article"' in html and 'role="presentation"' in html
    # the name was typed by someone who has not proven they own the address: never shown
    assert "Dupont" not in html and "Dupont" not in text and "Dupont" not in parsed["To"]
    assert parsed["To"].addresses[0].display_name == "" and text.startswith("Bonjour,")
    english = confirmation_message(settings, person(language="en", name=""), URL, now=now)
    assert english["Subject"] == "Confirm your subscription to Le Brief"
    body = english.get_body(("plain",))
    assert body is not None and body.get_content().startswith("Hello,")


async def test_mailer_reuses_one_connection_and_reports_each_refusal(
    tmp_path: Path, smtp: SMTPServer, now: datetime
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    smtp.fail_recipient("gone@example.org", "550 5.1.1 no such mailbox")
    smtp.fail_recipient("busy@example.org", "451 4.3.0 try later")
    people = [person("a@example.org"), person("gone@example.org"), person("busy@example.org"), person("b@example.org")]
    mailer = SMTPMailer.from_settings(settings)
    results = await mailer.send_many([confirmation_message(settings, p, URL, now=now) for p in people])
    assert results[0] is None and results[3] is None
    gone, busy = results[1], results[2]
    assert isinstance(gone, DeliveryError) and gone.permanent and gone.code == 550
    assert isinstance(busy, DeliveryError) and not busy.permanent and busy.code == 451
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["a@example.org", "b@example.org"]
    assert smtp.connections == 1
    assert {r.mail_from for r in smtp.received} == {"brief@example.org"}


async def test_a_server_refusing_every_greeting_fails_every_message(
    tmp_path: Path, smtp: SMTPServer, now: datetime
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    smtp.fail_greeting("421 4.3.2 shutting down", times=None)
    results = await SMTPMailer.from_settings(settings).send_many(
        [confirmation_message(settings, person(), URL, now=now)] * 2
    )
    assert all(isinstance(r, DeliveryError) and not r.permanent for r in results)
    assert smtp.received == []
    with pytest.raises(DeliveryError):
        nowhere = SMTPMailer.from_settings(web_settings(tmp_path, 1))
        await nowhere.send(confirmation_message(settings, person(), URL, now=now))


async def test_one_refused_greeting_is_retried_on_a_fresh_connection_like_an_edition(
    tmp_path: Path, smtp: SMTPServer, now: datetime
) -> None:
    settings = web_settings(tmp_path, smtp.port)
    smtp.fail_greeting("421 4.3.2 shutting down", times=1)
    await SMTPMailer.from_settings(settings).send(confirmation_message(settings, person(), URL, now=now))
    assert [r.rcpt_tos for r in smtp.received] == [("zoe@example.org",)]


async def test_confirmation_goes_out_with_the_verp_envelope_sender(
    tmp_path: Path, smtp: SMTPServer, now: datetime
) -> None:
    verp = {"envelope_from": "bounces+{local}={domain}@bounce.example.org"}
    settings = web_settings(tmp_path, smtp.port, smtp=verp)
    message = confirmation_message(settings, person("zoe@example.fr"), URL, now=now)
    await SMTPMailer.from_settings(settings).send(message)
    assert [r.mail_from for r in smtp.received] == ["bounces+zoe=example.fr@bounce.example.org"]


async def test_subscribing_while_smtp_is_down_keeps_the_subscriber_pending_and_logs_it(
    tmp_path: Path, store: Store, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    with SMTPServer() as down:
        port = down.port  # a port nothing listens on once the server stops
    app = create_app(web_settings(tmp_path, port), store, now=lambda: now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        form = await client.get("/subscribe")
        with caplog.at_level(logging.WARNING, logger="digest.web.subscribe"):
            page = await client.post(
                "/subscribe", data={"csrf_token": csrf_token(form.text), "email": "zoe@example.org", "consent": "yes"}
            )
    assert page.status_code == 303 and page.headers["location"] == "/subscribe?sent=1&lang=fr"
    sub = db.by_email(store, "zoe@example.org")
    assert sub is not None and sub.status is SubscriberStatus.PENDING
    assert any(r.getMessage() == "confirmation mail not sent" for r in caplog.records)
