"""STARTTLS, implicit TLS and SMTP AUTH per [smtp], against aiosmtpd with a certificate
signed for 127.0.0.1 (made here with the cryptography package)."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from delivery_support import MimeComposer, add_edition, add_subscribers, delivered_to
from smtp_server import SMTPServer
from sqlalchemy import select

from digest import config
from digest.deliver.options import SendReport
from digest.deliver.sender import run_sender
from digest.store import Store
from digest.store import tables as t
from digest.store.fanout import fan_out


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


class Logins:
    """An aiosmtpd authenticator accepting one user; it records every attempt."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.attempts: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = (login, password) == (self.user, self.password)
        self.attempts.append((login, ok))
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def logins() -> Logins:
    return Logins("digest", "s3cret-pass")


@pytest.fixture
def starttls(certificate: tuple[Path, Path], logins: Logins) -> Iterator[SMTPServer]:
    context = server_context(certificate)
    with SMTPServer(tls_context=context, require_starttls=True, authenticator=logins, auth_require_tls=True) as s:
        yield s


def settings_for(tmp_path: Path, server: SMTPServer, password: str = "s3cret-pass", **smtp: Any) -> config.Settings:
    (tmp_path / "password").write_text(password + "\n", encoding="utf-8")
    path = tmp_path / "digest.toml"
    path.write_text('[smtp]\npassword_env = "DIGEST_TEST_UNSET_PASSWORD"\npassword_file = "password"\n')
    values = {"host": server.host, "port": server.port, "connections": 2, "timeout_seconds": 5.0} | smtp
    return config.load(path, env={}).with_overrides({"smtp": values})


async def send(store: Store, settings: config.Settings, now: datetime) -> SendReport:
    return await run_sender(store, settings, MimeComposer(), sender_id="tls:1:0", stop=asyncio.Event(), now=lambda: now)


def prepare(store: Store, now: datetime, count: int = 5) -> list[str]:
    addresses = add_subscribers(store, count, now=now)
    edition = add_edition(store, day=now.date(), now=now)
    fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    return addresses


async def test_starttls_and_login_then_every_message_goes_through(
    store: Store, starttls: SMTPServer, logins: Logins, certificate: tuple[Path, Path], now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now)
    settings = settings_for(tmp_path, starttls, security="starttls", username="digest", ca_file=str(certificate[0]))
    report = await send(store, settings, now)
    assert report.sent == 5 and not report.fatal
    assert delivered_to(starttls.received) == {a: 1 for a in addresses}
    assert logins.attempts and all(ok for _, ok in logins.attempts)
    assert len(logins.attempts) == report.connections_opened  # one login per reused connection


async def test_a_refused_login_stops_the_send_and_loses_nobody(
    store: Store, starttls: SMTPServer, logins: Logins, certificate: tuple[Path, Path], now: datetime, tmp_path: Path
) -> None:
    prepare(store, now)
    settings = settings_for(
        tmp_path, starttls, password="wrong", security="starttls", username="digest", ca_file=str(certificate[0])
    )
    report = await send(store, settings, now)
    assert report.sent == 0 and "login refused: 535" in report.fatal
    assert starttls.received == []
    with store.engine.connect() as conn:
        left = conn.execute(select(t.deliveries.c.state, t.deliveries.c.claimed_by)).all()
    assert {state for state, _ in left} <= {"pending", "retry"} and all(c is None for _, c in left)


async def test_plain_connection_is_refused_where_starttls_is_required(
    store: Store, starttls: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    prepare(store, now)
    report = await send(store, settings_for(tmp_path, starttls, security="none"), now)
    assert report.sent == 0 and starttls.received == []
    assert report.fatal.startswith(
        f"{starttls.host}:{starttls.port}: MAIL FROM refused: 530"
    )  # stopped, not every reader failed
    with store.engine.connect() as conn:
        assert "failed" not in set(conn.execute(select(t.deliveries.c.state)).scalars())


async def test_implicit_tls_with_a_private_ca(
    store: Store, certificate: tuple[Path, Path], now: datetime, tmp_path: Path
) -> None:
    addresses = prepare(store, now)
    with SMTPServer(ssl_context=server_context(certificate)) as server:
        settings = settings_for(tmp_path, server, security="tls", ca_file=str(certificate[0]))
        report = await send(store, settings, now)
        assert report.sent == 5
        assert delivered_to(server.received) == {a: 1 for a in addresses}


async def test_an_untrusted_certificate_stops_the_send(
    store: Store, certificate: tuple[Path, Path], now: datetime, tmp_path: Path
) -> None:
    prepare(store, now)
    with SMTPServer(ssl_context=server_context(certificate)) as server:
        report = await send(store, settings_for(tmp_path, server, security="tls"), now)
        assert report.sent == 0 and "TLS" in report.fatal and server.received == []
