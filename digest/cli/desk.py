"""The editor's desk from the command line: `digest edition approve|withdraw|edit|drop|
restore|revert|pin|move` (and merge|split|finally: :mod:`digest.cli.desk_stories`) and
`digest deliveries retry-failed|release-held`.

Each command calls one function of :mod:`digest.actions` (the console and the API call
the same), acting as ``cli:<login>`` with the owner's role. Stories are numbered from 1,
as `digest edition build` and the console show them.
"""

from __future__ import annotations

import click

from digest.cli.context import AppContext, cli_actor, parse_date, pass_app

DATE = click.option("--date", "date_", required=True, help="Edition date YYYY-MM-DD.")
STORY = click.option("--story", type=click.IntRange(min=1), required=True, help="The story's number (1 = first).")
LANGUAGE_ONE = click.option("--language", help="The edition's language (needed when the date has several).")


@click.command("approve")
@DATE
@click.option("--language", help="Approve only this language (default: every language built for the date).")
@pass_app
def approve(app: AppContext, date_: str, language: str | None) -> None:
    """Approve the date's edition(s) for sending ([schedule] review = "approve")."""
    from digest.actions import editions

    day = parse_date(date_)
    assert day is not None
    ops, actor = app.operations(), cli_actor()
    for ed in editions.editions_on(ops, day, language):
        done = editions.approve(ops, actor, ed)
        click.echo(f"{day.isoformat()} {ed.language}: approved by {done.approved_by} at {done.approved_at:%H:%M} UTC")


@click.command("withdraw")
@DATE
@click.option("--language", help="Withdraw only this language's approval (default: every language of the date).")
@pass_app
def withdraw(app: AppContext, date_: str, language: str | None) -> None:
    """Withdraw the approval of the date's edition(s), while no delivery has started."""
    from digest.actions import editions

    day = parse_date(date_)
    assert day is not None
    ops, actor = app.operations(), cli_actor()
    for ed in editions.editions_on(ops, day, language):
        was = editions.withdraw(ops, actor, ed)
        what = f"approval by {was.approved_by} withdrawn" if was else "was not approved"
        click.echo(f"{day.isoformat()} {ed.language}: {what}")


@click.command("pin")
@DATE
@LANGUAGE_ONE
@STORY
@click.option("--unpin", is_flag=True, help="Unpin the story: the build's lead leads again.")
@pass_app
def pin(app: AppContext, date_: str, language: str | None, story: int, unpin: bool) -> None:
    """Pin a story as the edition's lead (kept across a rebuild)."""
    from digest.actions import editions

    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    editions.pin_item(ops, cli_actor(), ed, story - 1, pinned=not unpin)
    click.echo(f"{day.isoformat()} {ed.language}: story {story} {'unpinned' if unpin else 'pinned as the lead'}")


@click.command("move")
@DATE
@LANGUAGE_ONE
@STORY
@click.option("--up", "direction", flag_value="up", help="One place up.")
@click.option("--down", "direction", flag_value="down", help="One place down.")
@pass_app
def move(app: AppContext, date_: str, language: str | None, story: int, direction: str | None) -> None:
    """Move a story one place up or down among the stories of its kind."""
    from digest.actions import editions
    from digest.errors import ValidationError

    if direction is None:
        raise ValidationError("--up or --down: say which way")
    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    editions.move_item(ops, cli_actor(), ed, story - 1, direction)
    click.echo(f"{day.isoformat()} {ed.language}: story {story} moved {direction}")


@click.command("edit")
@DATE
@LANGUAGE_ONE
@STORY
@click.option("--headline", help="The story's new headline.")
@click.option("--summary", help="The story's new summary.")
@pass_app
def edit(
    app: AppContext, date_: str, language: str | None, story: int, headline: str | None, summary: str | None
) -> None:
    """Rewrite a story's headline and/or summary (the original is kept beside it)."""
    from digest.actions import editions
    from digest.errors import ValidationError

    if headline is None and summary is None:
        raise ValidationError("--headline or --summary: say what to change")
    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    keep = editions.KEEP
    editions.edit_item(
        ops,
        cli_actor(),
        ed,
        story - 1,
        headline=keep if headline is None else headline,
        summary=keep if summary is None else summary,
    )
    click.echo(f"{day.isoformat()} {ed.language}: story {story} saved")


def _drop_or_restore(app: AppContext, date_: str, language: str | None, story: int, *, dropped: bool) -> None:
    from digest.actions import editions

    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    editions.edit_item(ops, cli_actor(), ed, story - 1, dropped=dropped)
    click.echo(f"{day.isoformat()} {ed.language}: story {story} {'dropped' if dropped else 'restored'}")


@click.command("drop")
@DATE
@LANGUAGE_ONE
@STORY
@pass_app
def drop(app: AppContext, date_: str, language: str | None, story: int) -> None:
    """Leave a story out of the edition (`digest edition restore` puts it back)."""
    _drop_or_restore(app, date_, language, story, dropped=True)


@click.command("restore")
@DATE
@LANGUAGE_ONE
@STORY
@pass_app
def restore(app: AppContext, date_: str, language: str | None, story: int) -> None:
    """Put a dropped story back."""
    _drop_or_restore(app, date_, language, story, dropped=False)


@click.command("revert")
@DATE
@LANGUAGE_ONE
@STORY
@pass_app
def revert(app: AppContext, date_: str, language: str | None, story: int) -> None:
    """Take a story back to its original text (and back in, if it was dropped)."""
    from digest.actions import editions

    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    editions.revert_item(ops, cli_actor(), ed, story - 1)
    click.echo(f"{day.isoformat()} {ed.language}: story {story} is back to its original")


@click.group("deliveries")
def deliveries() -> None:
    """Fix a date's deliveries: retry the failed ones, release the held ones (the
    running service sends them; `digest send --retry-failed` also sends now)."""


def _reopen(app: AppContext, date_: str, language: str | None, which: str) -> None:
    from digest.actions import deliveries as fixes
    from digest.actions import editions

    day = parse_date(date_)
    assert day is not None
    ops, actor = app.operations(), cli_actor()
    for ed in editions.editions_on(ops, day, language):
        assert ed.id is not None
        reopen = fixes.retry_failed if which == "retry" else fixes.release_held
        done = reopen(ops, actor, ed.id)
        line = f"{day.isoformat()} {ed.language}: {done.count} deliveries due again"
        if done.left:
            line += f"; not retried (subscriber no longer confirmed): {done.why_not()}"
        click.echo(line)


@deliveries.command("retry-failed")
@DATE
@click.option("--language", help="Only this language's edition.")
@pass_app
def retry_failed(app: AppContext, date_: str, language: str | None) -> None:
    """Make the failed deliveries of still-confirmed subscribers due again."""
    _reopen(app, date_, language, "retry")


@deliveries.command("release-held")
@DATE
@click.option("--language", help="Only this language's edition.")
@pass_app
def release_held(app: AppContext, date_: str, language: str | None) -> None:
    """Make the deliveries held after a crash due again."""
    _reopen(app, date_, language, "release")


def register(group: click.Group) -> None:
    """Add the desk commands to the `edition` group, and the `deliveries` group."""
    edition = group.commands["edition"]
    assert isinstance(edition, click.Group)
    from digest.cli.desk_stories import STORY_COMMANDS

    for command in (approve, withdraw, edit, drop, restore, pin, move, revert, *STORY_COMMANDS):
        edition.add_command(command)
    group.add_command(deliveries)
