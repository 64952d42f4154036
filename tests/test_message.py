"""The bytes that go on the wire, parsed back with Python's email package (policy
default, raise_on_defect) and checked with dkimpy: structure, headers, encodings,
one-click unsubscribe, DKIM, size."""

from __future__ import annotations

import email
import email.policy
import quopri
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

import dkim
import pytest
from email_samples import BASE_URL, SECRET, composer, dns_txt, french_edition, links, rich_edition, signer

from digest.mail.variant import HTML_LIMIT
from digest.models import Edition, EditionItem, ItemKind, OutgoingMessage, Subscriber, SubscriberStatus
from digest.text.typography import typeset
from digest.tokens import Tokens

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
STRICT = email.policy.default.clone(raise_on_defect=True)


def subscriber(**kw: object) -> Subscriber:
    values: dict[str, object] = {
        "email": "zoe.dupont@example.com",
        "name": "Zoé Dupont",
        "language": "fr",
        "status": SubscriberStatus.CONFIRMED,
        "id": 4242,
    }
    values.update(kw)
    return Subscriber(**values)  # type: ignore[arg-type]


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=STRICT)
    assert isinstance(msg, EmailMessage)
    assert not msg.defects
    return msg


def parts(msg: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    text, html = msg.iter_parts()
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return text, html


@pytest.fixture(scope="module")
def sent() -> OutgoingMessage:
    return composer().compose(french_edition(), subscriber(), delivery_id=99, now=NOW)


def test_message_is_multipart_alternative_text_first_html_last(sent: OutgoingMessage) -> None:
    msg = parse(sent.data)
    assert msg.get_content_type() == "multipart/alternative"
    text, html = parts(msg)
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    for part in (text, html):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert not part.defects
    assert msg["MIME-Version"] == "1.0"


def test_every_byte_is_ascii_every_line_crlf_and_at_most_78(sent: OutgoingMessage) -> None:
    data = sent.data
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    head, _, body = data.partition(b"\r\n\r\n")
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    # quoted-printable body lines follow RFC 2045's stricter 76
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))


def test_headers_one_from_to_subject_date_message_id_on_sender_domain(sent: OutgoingMessage) -> None:
    msg = parse(sent.data)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "List-Id", "List-Unsubscribe"):
        assert len(msg.get_all(name) or []) == 1, name
    assert msg["From"].addresses[0].addr_spec == "brief@lebrief.ma"
    assert msg["From"].addresses[0].display_name == "Le Brief"
    to = msg["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == ("Zoé Dupont", "zoe.dupont@example.com")
    assert msg["Date"].datetime == NOW
    assert re.fullmatch(r"<[^<>@\s]+@lebrief\.ma>", msg["Message-ID"])
    assert sent.message_id == msg["Message-ID"]
    assert msg["List-Id"] == "Le Brief <le-brief.lebrief.ma>"
    assert msg["Feedback-ID"].endswith(":lebrief")
    assert msg["Content-Language"] == "fr"
    assert msg["Reply-To"] is None  # not configured here


def test_reply_to_is_written_when_configured() -> None:
    out = composer(reply_to="Rédaction <redaction@lebrief.ma>").compose(
        french_edition(), subscriber(), delivery_id=1, now=NOW
    )
    reply_to = parse(out.data)["Reply-To"].addresses[0]
    assert (reply_to.display_name, reply_to.addr_spec) == ("Rédaction", "redaction@lebrief.ma")


def test_french_subject_round_trips_through_rfc_2047(sent: OutgoingMessage) -> None:
    raw_subject = re.search(rb"^Subject:.*?\r\n(?! )", sent.data, re.S | re.M)
    assert raw_subject and b"=?utf-8?" in raw_subject.group(0)  # encoded, since accented
    subject = parse(sent.data)["Subject"]
    assert subject == "OTAN : le Maroc incontournable en terme de sécurité"  # the top headline, no date


def test_one_click_unsubscribe_headers(sent: OutgoingMessage) -> None:
    msg = parse(sent.data)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    urls = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
    assert urls[0].startswith(f"{BASE_URL}/unsubscribe/")
    assert urls[0].startswith("https://")
    token = urls[0].rsplit("/", 1)[1]
    assert Tokens(SECRET, max_age_seconds=86400).check("unsubscribe", token, now=NOW) == 4242
    # the mailto form carries this subscriber's own signed token, read back by `digest bounces import`
    mailto = Tokens(SECRET, max_age_seconds=86400).make_short("mailto", 4242)
    assert urls[1] == f"mailto:unsubscribe@lebrief.ma?subject=unsubscribe%20{mailto}"


def test_edition_carries_bulk_headers_covered_by_dkim(sent: OutgoingMessage) -> None:
    msg = parse(sent.data)
    assert msg["Precedence"] == "bulk"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    tags = dict(t.strip().split("=", 1) for t in msg["DKIM-Signature"].split(";") if t.strip())
    signed = [h.strip() for h in tags["h"].split(":")]
    for name in ("precedence", "auto-submitted", "x-auto-response-suppress"):
        assert signed.count(name) == 2  # signed, and over-signed
    for old, new in ((b"Precedence: bulk", b"Precedence: list"), (b"Auto-Submitted: auto-generated\r\n", b"")):
        assert old in sent.data
        assert not dkim.verify(sent.data.replace(old, new, 1), dnsfunc=dns_txt(signer()))


def test_mailto_form_is_left_out_when_not_configured() -> None:
    out = composer(unsubscribe_mailto="").compose(french_edition(), subscriber(), delivery_id=1, now=NOW)
    value = parse(out.data)["List-Unsubscribe"]
    assert value.count("<") == 1 and "mailto:" not in value


def test_parts_decode_to_the_edition_with_personal_values(sent: OutgoingMessage) -> None:
    text, html = parts(parse(sent.data))
    body_text = text.get_content()
    body_html = html.get_content()
    assert "Bonjour Zoé Dupont," in body_text
    assert "Bonjour Zoé Dupont," in body_html
    assert "Temps de lecture\u00a0: 3 minutes" in body_text
    assert "dimanche 29 novembre 2026" in body_html
    unsub = links().unsubscribe(4242, now=NOW)
    assert unsub in body_text and unsub in body_html
    assert "zoe.dupont@example.com" in body_text
    flowing_text = " ".join(body_text.split())  # the text part is wrapped at 72 columns
    for item in french_edition().items:
        assert item.title in flowing_text


def test_bytes_are_exactly_the_quoted_printable_of_the_parts(sent: OutgoingMessage) -> None:
    # an independent decoder (quopri) agrees with the email package
    _, _, body = sent.data.partition(b"\r\n\r\n")
    boundary = parse(sent.data).get_boundary()
    assert boundary
    raw_parts = body.split(b"--" + boundary.encode())
    text_raw = raw_parts[1].partition(b"\r\n\r\n")[2]
    decoded = quopri.decodestring(text_raw).decode("utf-8").replace("\r\n", "\n")
    assert decoded.rstrip("\n") == parts(parse(sent.data))[0].get_content().replace("\r\n", "\n").rstrip("\n")


def test_article_text_with_script_and_ampersand_is_escaped_exactly_once() -> None:
    edition = french_edition()
    evil = EditionItem(
        position=99,
        kind=ItemKind.TOP,
        category="Tech",
        title='Faille <script>alert("x")</script> & correctifs',
        url="https://example.org/a?x=1&y=2",
        summary="Le bug touche « R&D » <b>et</b> les <img src=x onerror=alert(1)> pages.",
        reading_minutes=2,
    )
    edition = replace(edition, items=(*edition.items, evil))
    out = composer().compose(edition, subscriber(name='Zoé <b>"&"</b>'), delivery_id=1, now=NOW)
    text, html = parts(parse(out.data))
    source = html.get_content()
    assert "<script" not in source and "<img src=x" not in source and "<b>" not in source
    assert "Faille &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; correctifs" in source or (
        'Faille &lt;script&gt;alert("x")&lt;/script&gt; &amp; correctifs' in source
    )
    assert "«\u202fR&amp;D\u202f»" in source  # French spacing, escaped once
    assert 'href="https://example.org/a?x=1&amp;y=2"' in source
    assert "&amp;amp;" not in source and "&amp;lt;" not in source and "&amp;#" not in source
    assert "Bonjour Zoé &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;," in source
    # the text part is plain text: nothing to escape, nothing escaped
    assert 'Faille <script>alert("x")</script> & correctifs' in text.get_content()
    assert 'Bonjour Zoé <b>"&"</b>,' in text.get_content()


def test_dkim_signature_verifies_with_dkimpy(sent: OutgoingMessage) -> None:
    s = signer()
    assert sent.data.startswith(b"DKIM-Signature: ")
    assert dkim.verify(sent.data, dnsfunc=dns_txt(s))


def test_dkim_signs_the_required_headers_relaxed(sent: OutgoingMessage) -> None:
    field = parse(sent.data)["DKIM-Signature"]
    tags = dict(t.strip().split("=", 1) for t in field.split(";") if t.strip())
    assert tags["c"] == "relaxed/relaxed" and tags["a"] == "rsa-sha256"
    assert (tags["d"], tags["s"]) == ("lebrief.ma", "brief2026")
    signed = {h.strip() for h in tags["h"].split(":")}
    required = {
        "from", "to", "subject", "date", "message-id", "mime-version", "content-type",
        "list-id", "list-unsubscribe", "list-unsubscribe-post", "feedback-id",
    }  # fmt: skip
    assert required <= signed


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: List-Unsubscribe=Two-Click"),
        (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", b""),
        (b"Feedback-ID: ", b"Feedback-ID: x"),
        (b"Bonjour=20Zo=C3=A9", b"Bonjour=20Zo=C3=A8"),
    ],
    ids=["altered-one-click", "removed-one-click", "altered-feedback-id", "altered-body"],
)
def test_dkim_fails_after_tampering(sent: OutgoingMessage, old: bytes, new: bytes) -> None:
    assert old in sent.data
    tampered = sent.data.replace(old, new, 1)
    assert not dkim.verify(tampered, dnsfunc=dns_txt(signer()))


def test_dkim_fails_when_a_second_one_click_header_is_added(sent: OutgoingMessage) -> None:
    # over-signing: an added List-Unsubscribe-Post (or From) is not accepted silently
    head, sep, body = sent.data.partition(b"\r\n\r\n")
    for extra in (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"From: Other <x@evil.example>"):
        assert not dkim.verify(head + b"\r\n" + extra + sep + body, dnsfunc=dns_txt(signer()))


def test_relaxed_canonicalisation_tolerates_refolding(sent: OutgoingMessage) -> None:
    # relaxed/relaxed survives what relays do: re-folding headers, trailing spaces
    refolded = sent.data.replace(b"List-Unsubscribe-Post: List", b"List-Unsubscribe-Post:\r\n\tList", 1)
    assert dkim.verify(refolded, dnsfunc=dns_txt(signer()))


def test_unsigned_when_no_signer() -> None:
    out = composer(signed=False).compose(french_edition(), subscriber(), delivery_id=1, now=NOW)
    assert b"DKIM-Signature" not in out.data
    parse(out.data)


def test_html_part_stays_under_90_kb_on_a_rich_day_by_dropping_briefs() -> None:
    edition = rich_edition(briefs=400)
    out = composer().compose(edition, subscriber(), delivery_id=1, now=NOW)
    msg = parse(out.data)
    _, html = parts(msg)
    boundary = msg.get_boundary()
    assert boundary
    encoded_html_part = out.data.split(b"--" + boundary.encode())[2]
    assert len(encoded_html_part) < HTML_LIMIT == 90 * 1024
    source = html.get_content()
    assert len(source.encode("utf-8")) < HTML_LIMIT
    shown = [i for i in edition.briefs if f">{typeset(i.title, 'fr')}<" in source]
    assert 0 < len(shown) < len(edition.briefs)
    # the first briefs are kept, in order; the rest is announced, not clipped
    assert shown == list(edition.briefs[: len(shown)])
    assert f"{len(edition.briefs) - len(shown)} autres brèves dans l’édition en ligne" in source
    for top in edition.top:
        assert typeset(top.title, "fr") in source
    assert "Se désinscrire" in source and source.rstrip().endswith("</html>")
    assert dkim.verify(out.data, dnsfunc=dns_txt(signer()))


def test_typical_edition_is_far_below_the_size_limit(sent: OutgoingMessage) -> None:
    assert len(sent.data) < 60 * 1024


def test_long_address_and_unicode_domain_are_encoded() -> None:
    out = composer().compose(
        french_edition(),
        subscriber(email="jean@exemple-été.ma", name="Jean « le Grand » Dupont, fils"),
        delivery_id=1,
        now=NOW,
    )
    to = parse(out.data)["To"].addresses[0]
    assert to.addr_spec == "jean@" + "exemple-été.ma".encode("idna").decode("ascii")
    assert to.addr_spec.startswith("jean@xn--")
    assert to.display_name == "Jean « le Grand » Dupont, fils"
    assert out.data.isascii()


def test_empty_edition_still_makes_a_valid_message() -> None:
    empty = Edition(french_edition().edition_date, "fr", (), word_count=0, reading_minutes=0, id=3)
    out = composer().compose(empty, subscriber(), delivery_id=1, now=NOW)
    msg = parse(out.data)
    assert msg["Subject"] == "Le Brief · Dimanche 29 novembre"
    assert dkim.verify(out.data, dnsfunc=dns_txt(signer()))
