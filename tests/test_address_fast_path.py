"""The address check's fast path (plain local part, domain checked once per domain)
decides exactly as the full email-validator check does, and so does the header check's."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from digest.errors import ValidationError
from digest.subscribers import profile

LOCAL = st.text(alphabet="abcXYZ019._+-=!#'", min_size=0, max_size=70)
DOMAIN = st.sampled_from(
    ["example.org", "Example.ORG", "münchen.de", "localhost", "b", "exa_mple.org", "-x.org", "x.org.", "a..org",
     "sub.example.co.uk", "x" * 64 + ".org", "invalid", "test", "123.45", "[127.0.0.1]", ""]
)  # fmt: skip


def _full(text: str) -> str:
    """The address as the full check alone normalises it (ValidationError otherwise)."""
    try:
        result = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValidationError("invalid") from None
    return (result.ascii_email or result.normalized).lower()


@given(LOCAL, DOMAIN)
def test_the_fast_path_accepts_and_normalises_exactly_as_the_full_check(local: str, domain: str) -> None:
    text = f"{local}@{domain}"
    try:
        expected: str | None = _full(text)
    except ValidationError:
        expected = None
    fast = profile._plain_address(text)
    if fast is not None:
        assert fast == expected, text
    elif (
        expected is not None and profile._PLAIN_LOCAL.fullmatch(local.lower()) and domain.isascii() and len(text) <= 254
    ):
        raise AssertionError(f"{text}: plain, valid, yet not taken by the fast path")


@given(LOCAL, DOMAIN)
def test_the_header_check_shortcut_agrees_with_writing_a_message(local: str, domain: str) -> None:
    address = f"{local}@{domain}".lower()
    if not profile._PLAIN.fullmatch(address) or len(address) > 64:
        return
    message = EmailMessage(policy=SMTP)
    message["To"] = Address(addr_spec=address)
    assert b"=?" not in message.as_bytes()
    assert profile.header_problem(address) == ""
