"""Every transactional mail is composed in digest.mail with the same headers: the
confirmation, the preferences link (asked for, or "already subscribed") and the fresh
link of an expired one. Pure: settings and a subscriber in, a message out."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from digest import config
from digest.mail.fresh_link import preferences_link_message
from digest.mail.transactional import confirmation_message, link_message
from digest.models import Subscriber, SubscriberStatus

NOW = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)
READER = Subscriber(id=7, email="zoe@example.fr", name="Zoé", language="fr", status=SubscriberStatus.CONFIRMED)


def every_mail(settings: config.Settings, reader: Subscriber = READER) -> dict[str, EmailMessage]:
    return {
        "confirmation": confirmation_message(settings, reader, "https://x.example/confirm/1", now=NOW),
        "requested": link_message(settings, reader, "https://x.example/p/2", reason="requested", now=NOW),
        "already": link_message(settings, reader, "https://x.example/p/3", reason="already", now=NOW),
        "fresh link": preferences_link_message(settings, reader, "https://x.example/p/4", now=NOW),
    }


def test_every_transactional_mail_carries_the_same_headers_in_the_same_order() -> None:
    settings = config.load(None, env={}).with_overrides({"newsletter": {"reply_to": "desk@example.org"}})
    for kind, msg in every_mail(settings).items():
        names = [n for n in msg if n not in ("MIME-Version", "Content-Type", "Content-Transfer-Encoding")]
        assert names == [
            "Subject",
            "From",
            "To",
            "Reply-To",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "Content-Language",
        ], kind
        assert msg["Reply-To"] == "desk@example.org", kind
        assert msg["From"] == settings.newsletter.sender, kind
        assert msg["Auto-Submitted"] == "auto-generated", kind
        assert msg["Content-Language"] == "fr", kind
        assert msg["Date"] == "Sun, 29 Nov 2026 05:30:00 +0000", kind
        assert msg["Message-ID"].endswith("@example.org>"), kind


def test_no_reply_to_header_without_a_reply_to_address() -> None:
    for kind, msg in every_mail(config.load(None, env={})).items():
        assert "Reply-To" not in msg, kind


def test_the_reader_links_are_in_the_readers_language_with_their_url() -> None:
    settings = config.load(None, env={})
    english = every_mail(settings, Subscriber(id=7, email="a@example.org", name="", language="en"))
    assert english["requested"]["Subject"] == "Your Le Brief preferences link"
    assert english["already"]["Subject"].startswith("You are already subscribed")
    for kind, msg in english.items():
        assert msg["Content-Language"] == "en", kind
    french = every_mail(settings)
    body = french["requested"].get_body(("plain",))
    assert body is not None and "https://x.example/p/2" in body.get_content()
    assert french["requested"]["Subject"] != english["requested"]["Subject"]
