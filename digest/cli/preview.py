"""`digest preview`: the edition exactly as a subscriber gets it, written to files.

digest.daily.preview writes the HTML part, the text part and the whole message (.eml,
signed when DKIM is configured) of the date's edition, building the edition first when
the date has none yet; this module prints the files and, with --screenshot, takes PNGs
of the HTML at 600 and 375 px with headless Chromium.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from digest.cli.context import AppContext, parse_date, pass_app, utcnow
from digest.errors import DigestError

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
    from digest.daily.preview import kb
    from digest.daily.preview import preview as write_preview

    day = parse_date(date_)
    result = write_preview(
        app.store(),
        app.settings,
        day=day,
        language=language,
        for_email=for_email,
        out=Path(out),
        now=utcnow(),
        say=click.echo,
    )
    paths = dict(result.paths)
    if screenshot:
        for width, png in zip(WIDTHS, screenshots(paths["html"], result.folder, result.stem), strict=True):
            paths[f"{width} px"] = png
    for key, path in paths.items():
        note = f"  ({result.notes[key]})" if key in result.notes else ""
        click.echo(f"{path}  {kb(path.stat().st_size)}{note}")


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
