"""`digest preview`: the edition exactly as a subscriber gets it, written to files.

It writes the HTML part, the text part and the whole message (.eml, signed when DKIM
is configured) of the date's edition, building the edition first when the date has
none yet, and with --screenshot PNGs of the HTML at 600 and 375 px taken by headless
Chromium.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import click

from digest.cli.context import AppContext, parse_date, pass_app, utcnow
from digest.errors import ConfigError, DigestError
from digest.links import Links
from digest.models import EditionStatus, Subscriber

#: Debian's chromium package; DIGEST_CHROMIUM points elsewhere.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")
WIDTHS = (600, 375)
#: Window height for the chromium command line, which cannot take full-page shots.
FALLBACK_HEIGHT = 4000


@click.command()
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today in the newsletter timezone).")
@click.option("--language", help="Edition language (default: the subscriber's, else [newsletter] language).")
@click.option("--for", "for_email", help="Render as this subscriber gets it (their name, topics, links).")
@click.option("--out", type=click.Path(file_okay=False), default="preview", show_default=True, help="Output folder.")
@click.option("--screenshot", is_flag=True, help="Also PNG screenshots at 600 and 375 px (headless Chromium).")
@pass_app
def preview(
    app: AppContext, date_: str | None, language: str | None, for_email: str | None, out: str, screenshot: bool
) -> None:
    """Write the edition's HTML, text and .eml as a subscriber would get it.

    The edition of the date is built first when there is none yet. Without --for the
    message goes to a sample reader with no name and no topics.
    """
    from digest.compose import EditionComposer
    from digest.daily import build_editions, edition_languages
    from digest.store.editions import find_edition
    from digest.timing import edition_date_for

    settings = app.settings
    now = utcnow()
    day = parse_date(date_) or edition_date_for(now, settings.schedule.timezone)
    store = app.store()
    reader = _reader(app, for_email)
    lang = language or (reader.language if for_email else settings.newsletter.language)
    lang = edition_languages(settings, [lang])[0]
    newsletter = settings.newsletter.name
    edition = find_edition(store, newsletter, day, lang)
    if edition is None:
        edition = build_editions(store, settings, edition_date=day, now=now, languages=[lang])[0]
        click.echo(f"built edition {edition.id} ({day}, {lang})")
    if edition.status is EditionStatus.SKIPPED or not edition.items:
        click.echo(f"note: the {day} edition in {lang} has no article: the daily job sends nothing for it")
    links, throwaway = _links(app)
    if throwaway:
        click.echo("note: no link signing key is set ([web] secret_key_env): links are signed with a throwaway key")
    composer = EditionComposer.from_settings(settings, links)
    message = composer.compose(edition, replace(reader, language=lang), delivery_id=None, now=now)
    variant = composer.variant(edition, reader.topics)

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"edition-{day}-{lang}" + (f"-{_slug(reader.email)}" if for_email else "")
    html, text = _parts(message.data)
    paths = {
        "html": folder / f"{stem}.html",
        "txt": folder / f"{stem}.txt",
        "eml": folder / f"{stem}.eml",
    }
    paths["html"].write_text(html, encoding="utf-8")
    paths["txt"].write_text(text, encoding="utf-8")
    paths["eml"].write_bytes(message.data)
    if screenshot:
        for width, png in zip(WIDTHS, screenshots(paths["html"], folder, stem), strict=True):
            paths[f"{width} px"] = png

    signed = "DKIM-signed" if composer.signer is not None else "not signed ([dkim] not configured)"
    notes = {
        "html": f"HTML part {_kb(variant.html_bytes)} encoded, limit {_kb(composer.html_limit)}",
        "eml": f"{signed}, to {message.rcpt_to}",
    }
    if variant.view.dropped_briefs:
        notes["html"] += f"; {variant.view.dropped_briefs} 'in brief' items left out to stay under it"
    for key, path in paths.items():
        note = f"  ({notes[key]})" if key in notes else ""
        click.echo(f"{path}  {_kb(path.stat().st_size)}{note}")


def _reader(app: AppContext, for_email: str | None) -> Subscriber:
    """The subscriber named by --for, or a sample reader."""
    if not for_email:
        return Subscriber(email="reader@example.org", id=0)
    from digest.errors import NotFoundError
    from digest.store import subscribers as db
    from digest.subscriptions import normalise_address

    found = db.by_email(app.store(), normalise_address(for_email))
    if found is None:
        raise NotFoundError(f"--for: no subscriber {for_email}")
    return found


def _links(app: AppContext) -> tuple[Links, bool]:
    """Signed links, or links signed with a throwaway key when none is configured."""
    import secrets

    from digest.subscriptions import signed_links
    from digest.tokens import Tokens

    try:
        return signed_links(app.settings), False
    except ConfigError:
        base = app.settings.newsletter.base_url
        return Links(base, Tokens(secrets.token_urlsafe(32), max_age_seconds=86400)), True


def _parts(data: bytes) -> tuple[str, str]:
    """The decoded HTML and text parts of a message."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    html = msg.get_body(("html",))
    text = msg.get_body(("plain",))
    if html is None or text is None:
        raise DigestError("preview: the message has no HTML or text part")
    # the parts' text uses CRLF line ends on the wire; files get the platform's
    return html.get_content().replace("\r\n", "\n"), text.get_content().replace("\r\n", "\n")


def _slug(address: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", address.lower()).strip("-")[:40]


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def screenshots(html: Path, folder: Path, stem: str) -> list[Path]:
    """PNGs of ``html`` at each of :data:`WIDTHS`, full page with Playwright when it is
    installed, else with the chromium command line (fixed height)."""
    chromium = os.environ.get("DIGEST_CHROMIUM", CHROMIUM)
    if not Path(chromium).exists():
        raise DigestError(f"--screenshot needs headless Chromium at {chromium} (Debian package chromium)")
    pngs = [folder / f"{stem}-{width}.png" for width in WIDTHS]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        for width, png in zip(WIDTHS, pngs, strict=True):
            _chromium_cli(chromium, html, png, width)
        return pngs
    _playwright(chromium, html, pngs)
    return pngs


def _playwright(chromium: str, html: Path, pngs: list[Path]) -> None:
    from playwright.sync_api import Error, Route, sync_playwright

    def offline(route: Route) -> None:
        # a mail client shows the message; nothing but the file itself is loaded
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS[1:]))
            try:
                for width, png in zip(WIDTHS, pngs, strict=True):
                    page = browser.new_page(viewport={"width": width, "height": 800})
                    page.route("**/*", offline)
                    page.goto(html.resolve().as_uri())
                    page.screenshot(path=str(png), full_page=True)
                    page.close()
            finally:
                browser.close()
    except Error as exc:
        raise DigestError(f"screenshot failed: {exc.message.splitlines()[0]}") from None


def _chromium_cli(chromium: str, html: Path, png: Path, width: int) -> None:
    import subprocess

    command = [
        chromium,
        *CHROMIUM_FLAGS,
        "--hide-scrollbars",
        f"--screenshot={png.resolve()}",
        f"--window-size={width},{FALLBACK_HEIGHT}",
        html.resolve().as_uri(),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise DigestError(f"screenshot failed: {chromium}: {exc}") from None
    if not png.exists():
        raise DigestError(f"screenshot failed: {chromium} wrote no {png}")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(preview)
