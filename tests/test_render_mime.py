"""Quoted-printable segments and spliced values, RFC 2047 headers: round trips
through independent decoders (binascii, the email package), line lengths and DKIM
canonical form, for any text (property tests)."""

from __future__ import annotations

import binascii
import email
import email.policy
from email.header import decode_header, make_header

from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.mail import mime
from digest.mail.dkim import is_relaxed_canonical

STRICT = email.policy.default.clone(raise_on_defect=True)

# Text as templates produce it: any characters, "\n" line breaks, no "\r".
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400)
values = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=200)


def decode(encoded: str) -> str:
    return binascii.a2b_qp(encoded.encode("ascii")).decode("utf-8").replace("\r\n", "\n")


def check_lines(encoded: str) -> None:
    assert encoded.isascii()
    assert "\n" not in encoded.replace("\r\n", "")
    lines = encoded.split("\r\n")
    assert all(len(line) <= 76 for line in lines), max(lines, key=len)
    # Line-level canonical form (no trailing or repeated whitespace): the piece is
    # followed by more of the message, so its own trailing empty lines are not the end
    # of the body that relaxed canonicalisation strips.
    assert is_relaxed_canonical(encoded.encode("ascii") + b"--end--\r\n")


@given(texts)
@example("From here on.\n.\n  two  spaces \tand a tab \n")
@example("x" * 75 + " " + "y" * 10)
@example("é" * 40 + "\n")
def test_qp_encode_round_trips_with_short_canonical_lines(text: str) -> None:
    encoded = mime.qp_encode(text)
    check_lines(encoded)
    assert decode(encoded) == text


@given(st.lists(texts, min_size=1, max_size=4), st.lists(values, min_size=3, max_size=3))
@settings(max_examples=200)
@example(["Bonjour ", ",\n\nsuite"], ["Zoé Dupont", "", ""])
@example(["\n"], ["", "", ""])
@example(["a\n\n", "b "], ["x", "", ""])
@example(["a" * 74, "b" * 76], ["https://lebrief.ma/editions/7?t=" + "x=" * 40, "", ""])
def test_values_spliced_between_segments_decode_in_place(segments: list[str], vals: list[str]) -> None:
    encoded = mime.qp_encode(segments[0])
    expected = segments[0]
    for seg, val in zip(segments[1:], vals, strict=False):
        encoded += mime.qp_value(val) + mime.qp_encode(seg)
        expected += val + seg
    check_lines(encoded)
    assert decode(encoded) == expected


def test_qp_value_fast_path_leaves_urls_readable() -> None:
    url = "https://lebrief.ma/unsubscribe/NDI0Mg.awu_YA.fa9IOdqVDbp4sjJCg4cGk1k4Ofo"
    assert mime.qp_value(url) == url + "=\r\n"
    assert mime.qp_value("https://x.ma/e/7?t=abc") == "https://x.ma/e/7?t=3Dabc=\r\n"
    assert mime.qp_value("") == ""


def parse_header(line: str) -> email.message.EmailMessage:
    msg = email.message_from_bytes((line + "\r\n").encode("ascii"), policy=STRICT)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


@given(values)
@example("Zoé « la Grande » Dupont, fille")
@example('Jean "Jo" \\ Dupont')
@example("=?utf-8?q?not-an-encoded-word?=")
@example("محمد بن عبد الله الإدريسي الحسني العلوي")
def test_display_names_round_trip_through_the_email_parser(name: str) -> None:
    line = mime.fold("To", mime.address_header(name, "reader@example.org"))
    assert line.isascii()
    assert all(len(x) <= 78 for x in line.split("\r\n"))
    address = parse_header(line)["To"].addresses[0]
    assert address.addr_spec == "reader@example.org"
    # RFC 2047 decoding (whitespace between adjacent encoded words is dropped); the
    # email package's address parser keeps it, so its display name is not the oracle
    raw = line[len("To:") :].rpartition("<")[0].replace("\r\n", "").strip()
    if raw.startswith('"'):
        decoded = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    elif "=?" in raw:
        decoded = str(make_header(decode_header(raw)))
    else:
        decoded = raw
    assert decoded == mime.clean_text(name)
    if " " not in name:
        assert address.display_name.replace(" ", "") == mime.clean_text(name).replace(" ", "")


@given(values)
@example("Dimanche 29 novembre · OTAN : le Maroc incontournable en terme de sécurité")
def test_subjects_round_trip_and_fold_to_78_columns(subject: str) -> None:
    line = mime.text_header("Subject", subject)
    assert line.isascii() and line.endswith("\r\n")
    assert all(len(x) <= 78 for x in line[:-2].split("\r\n"))
    assert parse_header(line)["Subject"] == mime.clean_text(subject)


def test_header_values_cannot_inject_lines() -> None:
    line = mime.text_header("Subject", "Hello\r\nBcc: victim@example.org")
    msg = parse_header(line)
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Hello Bcc: victim@example.org"


def test_a_url_too_long_for_one_line_is_never_split() -> None:
    url = "https://lebrief.example.org/unsubscribe/" + "a" * 90
    line = mime.fold("List-Unsubscribe", f"<{url}>, <mailto:u@lebrief.ma?subject=unsubscribe>")
    assert f"<{url}>," in line.split("\r\n")[1]
    assert line.startswith("List-Unsubscribe:\r\n ")
