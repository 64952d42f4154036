"""``digest preview``: one edition exactly as a subscriber gets it, written to files.

The HTML part, the text part and the whole message (.eml, signed when DKIM is
configured) of the date's edition, built first when the date has none yet, composed by
the sender's own composer for the subscriber given (or a sample reader).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from digest import i18n
from digest.config import Settings
from digest.daily.build import build_editions, edition_day, edition_languages, summarizer_for
from digest.errors import ConfigError, DigestError, NotFoundError
from digest.links import Links
from digest.mail.compose import EditionComposer
from digest.mail.parts import html_part, text_part
from digest.models import EditionStatus, Subscriber
from digest.store import Store
from digest.store import subscribers as db
from digest.store.editions import find_edition
from digest.subscribers.membership import normalise_address, signed_links
from digest.tokens import Tokens

#: The reader of a preview without --for: no name, no topics.
SAMPLE_READER = "reader@example.org"


@dataclass
class Preview:
    """The files written, in order, with a note on some of them."""

    folder: Path
    stem: str
    paths: dict[str, Path] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def preview(
    store: Store,
    settings: Settings,
    *,
    day: date | None,
    language: str | None,
    for_email: str | None,
    out: Path,
    now: datetime,
    say: Callable[[str], None],
) -> Preview:
    """Write the edition's HTML, text and .eml as ``for_email`` (or a sample reader)
    would get it into ``out``; ``say`` gets notes as they arise (an edition built, no
    article, links signed with a throwaway key)."""
    day = edition_day(settings, day, now)
    reader = _reader(store, for_email)
    lang = language or i18n.language_for(reader.language if for_email else None, default=settings.newsletter.language)
    lang = edition_languages(settings, [lang])[0]
    edition = find_edition(store, settings.newsletter.name, day, lang)
    if edition is None:
        edition = build_editions(
            store, settings, edition_date=day, now=now, languages=[lang], summarizer=summarizer_for(settings)
        )[0]
        if edition.id is not None:
            say(f"built edition {edition.id} ({day}, {lang})")
    if edition.id is None:  # nothing stored: the articles may still arrive
        say(f"note: no article in the {day} window in {lang} yet; nothing stored, the send builds the edition later")
    elif edition.status is EditionStatus.SKIPPED or not edition.items:
        say(f"note: the {day} edition in {lang} has no article: the daily job sends nothing for it")
    links, throwaway = _links(settings)
    if throwaway:
        say("note: no link signing key is set ([web] secret_key_env): links are signed with a throwaway key")
    composer = EditionComposer.from_settings(settings, links)
    message = composer.compose(edition, replace(reader, language=lang), delivery_id=None, now=now)
    variant = composer.variant(edition, reader.topics)

    out.mkdir(parents=True, exist_ok=True)
    result = Preview(out, f"edition-{day}-{lang}" + (f"-{_slug(reader.email)}" if for_email else ""))
    html, text = html_part(message.data), text_part(message.data)
    if html is None or text is None:
        raise DigestError("preview: the message has no HTML or text part")
    result.paths = {kind: out / f"{result.stem}.{kind}" for kind in ("html", "txt", "eml")}
    # the parts' text uses CRLF line ends on the wire; files get the platform's
    result.paths["html"].write_text(html.replace("\r\n", "\n"), encoding="utf-8")
    result.paths["txt"].write_text(text.replace("\r\n", "\n"), encoding="utf-8")
    result.paths["eml"].write_bytes(message.data)
    signed = "DKIM-signed" if composer.signer is not None else "not signed ([dkim] not configured)"
    result.notes = {
        "html": f"HTML part {kb(variant.html_bytes)} encoded, limit {kb(composer.html_limit)}",
        "eml": f"{signed}, to {message.rcpt_to}",
    }
    if variant.view.dropped_briefs:
        result.notes["html"] += f"; {variant.view.dropped_briefs} 'in brief' items left out to stay under it"
    return result


def _reader(store: Store, for_email: str | None) -> Subscriber:
    """The subscriber named by --for, or a sample reader."""
    if not for_email:
        return Subscriber(email=SAMPLE_READER, id=0)
    found = db.by_email(store, normalise_address(for_email))
    if found is None:
        raise NotFoundError(f"--for: no subscriber {for_email}")
    return found


def _links(settings: Settings) -> tuple[Links, bool]:
    """Signed links, or links signed with a throwaway key when none is configured."""
    try:
        return signed_links(settings), False
    except ConfigError:
        base = settings.newsletter.base_url
        return Links(base, Tokens(secrets.token_urlsafe(32), max_age_seconds=86400)), True


def _slug(address: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", address.lower()).strip("-")[:40]


def kb(size: int) -> str:
    """A size in KB, one decimal."""
    return f"{size / 1024:.1f} KB"
