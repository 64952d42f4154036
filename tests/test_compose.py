"""EditionComposer, the sender's entry point: one variant per (edition, language,
topic set) rendered once and shared; per subscriber their topics, name, signed links,
a stable Message-ID, the envelope sender; test copies; configuration."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from email_samples import SECRET, composer, dns_txt, english_edition, french_edition, private_key_pem, signer

from digest import config
from digest.errors import ConfigError, RenderError, TokenError
from digest.links import Links
from digest.mail.compose import EditionComposer, MailSettings, list_id, load_signer
from digest.models import Subscriber, SubscriberStatus
from digest.text.typography import typeset
from digest.tokens import Tokens

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
STRICT = email.policy.default.clone(raise_on_defect=True)
TOKENS = Tokens(SECRET, max_age_seconds=60 * 86400)


def sub(sid: int, *, topics: tuple[str, ...] = (), name: str = "", lang: str = "fr") -> Subscriber:
    return Subscriber(
        email=f"reader{sid}@example.com", name=name, language=lang, topics=topics,
        status=SubscriberStatus.CONFIRMED, id=sid,
    )  # fmt: skip


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=STRICT)
    assert isinstance(msg, EmailMessage)
    return msg


def html_of(data: bytes) -> str:
    html = parse(data).get_body(("html",))
    assert html is not None
    content: str = html.get_content()
    return content


def test_subscriber_with_topics_gets_only_their_categories() -> None:
    edition = french_edition()
    out = composer().compose(edition, sub(1, topics=("Sport", "Culture")), delivery_id=1, now=NOW)
    html = html_of(out.data)
    for item in edition.items:
        assert (typeset(item.title, "fr") in html) == (item.category in ("Sport", "Culture")), item.title


def test_subscriber_without_topics_gets_everything() -> None:
    edition = french_edition()
    html = html_of(composer().compose(edition, sub(2), delivery_id=1, now=NOW).data)
    assert all(typeset(item.title, "fr") in html for item in edition.items)


def test_each_variant_is_rendered_once_and_shared() -> None:
    c = composer(signed=False)
    edition = french_edition()
    messages = [
        c.compose(
            edition, sub(i, topics=(("Sport",), ("sport",), (), ("Économie", "Sport"))[i % 4]), delivery_id=i, now=NOW
        )
        for i in range(1, 41)
    ]
    assert len({m.data for m in messages}) == 40  # personal: every message differs
    assert c.variant(edition, ["Sport"]) is c.variant(edition, [" SPORT"])
    assert c.variant(edition, []) is c.variant(edition, sorted({i.category for i in edition.items}))
    assert c.variant(edition, ["Sport"]) is not c.variant(edition, ["Culture"])
    assert c.variant(english_edition(), []) is not c.variant(edition, [])
    assert len(c.cached_variants) == 3 + 1 + 1  # sport, all, économie+sport; culture; english


def test_a_rebuilt_edition_is_rendered_again() -> None:
    c = composer(signed=False)
    edition = replace(french_edition(), built_at=NOW)
    before = c.variant(edition)
    rebuilt = replace(edition, items=edition.items[:-1], built_at=NOW + timedelta(minutes=5))  # same id
    after = c.variant(rebuilt)
    assert after is not before
    assert edition.items[-1].title in before.rendered.html and edition.items[-1].title not in after.rendered.html


def test_variant_cache_is_bounded() -> None:
    c = EditionComposer(composer().mail, composer().links, cache_size=2)
    edition = french_edition()
    first = c.variant(edition, ["Sport"])
    c.variant(edition, ["Culture"])
    c.variant(edition, ["Politique"])
    assert len(c.cached_variants) == 2
    assert c.variant(edition, ["Sport"]) is not first  # evicted, built again


def test_personal_links_are_signed_for_the_subscriber_and_their_purpose() -> None:
    out = composer().compose(french_edition(edition_id=77), sub(31, name="Zoé"), delivery_id=5, now=NOW)
    html = html_of(out.data)
    token = re.search(r"/unsubscribe/([\w.-]+)", html)
    prefs = re.search(r"/preferences/([\w.-]+)", html)
    archive = re.search(r"/editions/77\?t=([\w.-]+)", html)
    assert token and prefs and archive
    assert TOKENS.check("unsubscribe", token.group(1), now=NOW) == 31
    assert TOKENS.check("preferences", prefs.group(1), now=NOW) == 31
    assert TOKENS.check("archive", archive.group(1), now=NOW, scope="77") == 31  # this edition only
    with pytest.raises(TokenError):
        TOKENS.check("archive", archive.group(1), now=NOW, scope="78")
    assert "Bonjour Zoé," in html


def test_outgoing_message_envelope_and_ids() -> None:
    out = composer().compose(french_edition(), sub(12), delivery_id=345, now=NOW)
    assert (out.rcpt_to, out.delivery_id, out.subscriber_id) == ("reader12@example.com", 345, 12)
    assert out.mail_from == "brief@lebrief.ma"
    assert out.headers["Message-ID"] == out.message_id == parse(out.data)["Message-ID"]
    assert out.headers["Subject"] == parse(out.data)["Subject"]


def test_message_id_is_stable_per_edition_and_subscriber() -> None:
    c = composer(signed=False)
    a = c.compose(french_edition(), sub(12), delivery_id=1, now=NOW)
    again = composer(signed=False).compose(french_edition(), sub(12), delivery_id=2, now=NOW + timedelta(hours=1))
    other = c.compose(french_edition(), sub(13), delivery_id=3, now=NOW)
    next_day = c.compose(french_edition(edition_id=8), sub(12), delivery_id=4, now=NOW)
    assert a.message_id == again.message_id
    assert len({a.message_id, other.message_id, next_day.message_id}) == 3
    assert a.message_id.endswith("@lebrief.ma>")


def test_verp_envelope_sender() -> None:
    out = composer(envelope_from="b+{local}={domain}@lebrief.ma").compose(
        french_edition(), sub(3), delivery_id=1, now=NOW
    )
    assert out.mail_from == "b+reader3=example.com@lebrief.ma"


def test_test_copy_is_marked_and_signed_and_touches_no_subscriber() -> None:
    c = composer()
    first = c.compose_test(french_edition(), "editor@lebrief.ma", NOW)
    second = c.compose_test(french_edition(), "editor@lebrief.ma", NOW)
    msg = parse(first.data)
    assert msg["Subject"] == "[TEST] OTAN : le Maroc incontournable en terme de sécurité"
    assert msg["X-Digest-Test"] == "yes"
    assert msg["To"] == "editor@lebrief.ma"
    assert (first.delivery_id, first.subscriber_id, first.rcpt_to) == (None, None, "editor@lebrief.ma")
    assert first.message_id != second.message_id
    assert dkim.verify(first.data, dnsfunc=dns_txt(signer()))
    # real subscribers' variant is untouched by the test copy
    real = parse(c.compose(french_edition(), sub(1), delivery_id=1, now=NOW).data)
    assert not real["Subject"].startswith("[TEST]") and real["X-Digest-Test"] is None


def test_subscriber_without_id_is_refused() -> None:
    with pytest.raises(RenderError, match="no id"):
        composer().compose(french_edition(), Subscriber(email="x@example.com"), delivery_id=None, now=NOW)


def test_list_id_is_a_dot_atom_under_the_sender_domain() -> None:
    assert list_id("Le Brief", "lebrief.ma") == "Le Brief <le-brief.lebrief.ma>"
    phrase, _, label = list_id("L’Éco du matin", "x.org").rpartition(" ")
    assert label == "<l-eco-du-matin.x.org>"
    assert phrase.isascii() and str(make_header(decode_header(phrase))) == "L’Éco du matin"


def write_config(tmp_path: Path, dkim_keys: str) -> config.Settings:
    (tmp_path / "dkim.pem").write_bytes(private_key_pem())
    (tmp_path / "digest.toml").write_text(
        '[newsletter]\nname = "Le Brief"\nsender = "Le Brief <brief@lebrief.ma>"\n'
        'reply_to = "redaction@lebrief.ma"\nfeedback_id = "lebrief"\n' + dkim_keys,
        encoding="utf-8",
    )
    return config.load(tmp_path / "digest.toml", env={})


def test_composer_from_settings_signs_with_the_configured_key(tmp_path: Path) -> None:
    settings = write_config(
        tmp_path, '[dkim]\ndomain = "lebrief.ma"\nselector = "brief2026"\nprivate_key_path = "dkim.pem"\n'
    )
    mail = MailSettings.from_settings(settings)
    assert (mail.newsletter, mail.reply_to, mail.feedback_id) == ("Le Brief", "redaction@lebrief.ma", "lebrief")
    c = EditionComposer.from_settings(settings, Links("https://lebrief.ma", TOKENS))
    assert c.signer is not None
    out = c.compose(french_edition(), sub(1), delivery_id=1, now=NOW)
    assert dkim.verify(out.data, dnsfunc=dns_txt(signer()))


def test_signing_is_off_without_domain_or_key(tmp_path: Path) -> None:
    assert load_signer(write_config(tmp_path, "")) is None
    assert load_signer(write_config(tmp_path, '[dkim]\ndomain = "lebrief.ma"\n')) is None


@pytest.mark.parametrize(
    ("dkim_keys", "message"),
    [
        ('[dkim]\ndomain = "lebrief.ma"\nprivate_key_path = "dkim.pem"\n', r"\[dkim\] selector"),
        ('[dkim]\ndomain = "d.ma"\nselector = "s"\nprivate_key_path = "missing.pem"\n', "cannot read"),
        ('[dkim]\ndomain = "d.ma"\nselector = "s"\nprivate_key_path = "digest.toml"\n', "not an unencrypted PEM"),
    ],
)
def test_bad_dkim_configuration_is_a_one_line_config_error(tmp_path: Path, dkim_keys: str, message: str) -> None:
    settings = write_config(tmp_path, dkim_keys)
    with pytest.raises(ConfigError, match=message) as info:
        load_signer(settings)
    assert "\n" not in str(info.value)
