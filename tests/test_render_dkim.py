"""The native DKIM signer against dkimpy: the same relaxed canonical forms, and
signatures dkimpy accepts, for our messages and for any other message (the generic
path the confirmation mails can use)."""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import dkim
import pytest
from dkim.canonicalization import Relaxed
from email_samples import dns_txt, private_key_pem, signer
from hypothesis import example, given
from hypothesis import strategies as st

from digest.errors import ConfigError
from digest.mail.dkim import DkimSigner, relaxed_body, relaxed_header

bodies = st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"\r\n"))
header_values = st.text(st.sampled_from(list("ab c\t:;=é")), max_size=40)


@given(bodies)
@example(b"a  b \t\r\n\r\n\r\n")
@example(b"")
@example(b"\r\n\r\n")
def test_relaxed_body_is_dkimpys(body: bytes) -> None:
    assert relaxed_body(body) == Relaxed.canonicalize_body(body)


@given(st.sampled_from(["Subject", "List-Unsubscribe", "X-A"]), header_values, header_values)
def test_relaxed_header_is_dkimpys(name: str, first: str, folded: str) -> None:
    value = f" {first}\r\n\t{folded} "
    ours = relaxed_header(f"{name}:{value}\r\n")
    (theirs_name, theirs_value) = Relaxed.canonicalize_headers([(name.encode(), value.encode("utf-8"))])[0]
    assert ours.encode("utf-8") == theirs_name + b":" + theirs_value


def test_any_message_can_be_signed_and_verifies() -> None:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "Le Brief <brief@lebrief.ma>"
    msg["To"] = "Zoé <zoe@example.com>"
    msg["Subject"] = "Confirmez votre inscription à Le Brief, l’essentiel en cinq minutes chaque matin"
    msg["Date"] = "Sun, 29 Nov 2026 06:00:00 +0000"
    msg["Message-ID"] = "<confirm.1@lebrief.ma>"
    msg.set_content("Bonjour,\n\nconfirmez  votre adresse :  https://lebrief.ma/confirm/x \n")
    data = msg.as_bytes()
    s = signer()
    signed = s.sign_message(data, timestamp=int(datetime(2026, 11, 29, tzinfo=UTC).timestamp()))
    assert signed.endswith(data)
    assert dkim.verify(signed, dnsfunc=dns_txt(s))
    assert not dkim.verify(signed.replace(b"Confirmez", b"Confirme"), dnsfunc=dns_txt(s))


def test_signer_from_pem_and_its_dns_record() -> None:
    s = DkimSigner.from_pem(private_key_pem(), domain="LeBrief.ma", selector="brief2026")
    assert s.domain == "lebrief.ma"
    record = s.public_record()
    assert record.startswith("v=DKIM1; k=rsa; p=MII")
    assert record == signer().public_record()


def test_non_rsa_keys_and_missing_selectors_are_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    ed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ConfigError, match="RSA key is needed"):
        DkimSigner.from_pem(ed, domain="d.ma", selector="s")
    with pytest.raises(ConfigError, match="domain and selector"):
        DkimSigner.from_pem(private_key_pem(), domain="d.ma", selector=" ")
