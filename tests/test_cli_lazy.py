"""The lazy `digest` group: `digest --help` lists the commands the command modules
declare, with the same short help, without importing them; a command's module (and
the heavy libraries behind it) is imported only when the command is run or its help
asked. benchmarks/cli_startup.py times it."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import digest.cli
from digest.cli import COMMANDS, cli
from digest.cli.summarize import STYLE_NAMES
from digest.editorial.summarize import STYLES


def eager_group() -> click.Group:
    """The group as it was before it was lazy: every command module registered at once."""
    group = click.Group(name=cli.name, params=cli.params, help=cli.help, context_settings=dict(cli.context_settings))
    modules = [
        importlib.import_module(f"digest.cli.{m.name}")
        for m in pkgutil.iter_modules(digest.cli.__path__)
        if not m.name.startswith("_")
    ]
    registering = [m for m in modules if hasattr(m, "register")]
    # the desk adds `approve` to `edition`, so it registers after the others
    for module in sorted(registering, key=lambda m: m.__name__ == "digest.cli.desk"):
        module.register(group)
    return group


def test_the_lazy_group_lists_every_command_the_modules_declare() -> None:
    eager = eager_group()
    assert sorted(COMMANDS) == sorted(eager.commands)
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(eager.commands)
    for name, declared in COMMANDS.items():
        command = eager.commands[name]
        stand_in = click.Command(name, help=declared.summary)
        for limit in (20, 45, 60, 80, 120, 300):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), (name, limit)
        loaded = cli.get_command(ctx, name)
        assert (loaded is not None and loaded.callback is not None) or isinstance(loaded, click.Group)
        assert loaded.name == name
        assert loaded.help == command.help


@pytest.mark.parametrize("width", [40, 80, 200])
def test_help_is_the_same_as_the_eager_groups(width: int) -> None:
    runner = CliRunner()
    lazy = runner.invoke(cli, ["--help"], prog_name="digest", terminal_width=width)
    eager = runner.invoke(eager_group(), ["--help"], prog_name="digest", terminal_width=width)
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output
    group = eager_group()
    for name in COMMANDS:  # a group's subcommands too, whichever module adds them
        lazy_sub = runner.invoke(cli, [name, "--help"], prog_name="digest", terminal_width=width)
        eager_sub = runner.invoke(group, [name, "--help"], prog_name="digest", terminal_width=width)
        assert lazy_sub.output == eager_sub.output, name
    assert "approve" in runner.invoke(cli, ["edition", "--help"], prog_name="digest").output


SEPARATOR = "\n=====\n"


def fresh_help(commands: list[tuple[str, ...]]) -> list[str]:
    """``digest ARGS --help`` for each of ``commands`` as a fresh process prints them:
    the lazy group alone decides which modules are loaded."""
    code = (
        "from click.testing import CliRunner\n"
        "from digest.cli import cli\n"
        f"for args in {commands!r}:\n"
        "    out = CliRunner().invoke(cli, [*args, '--help'], prog_name='digest', terminal_width=80).output\n"
        f"    print(out, end={SEPARATOR!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split(SEPARATOR)[:-1]


def test_each_groups_help_in_a_fresh_process_is_the_eager_groups() -> None:
    # In this process the command objects are shared with the eager group
    # (digest.cli.desk adds `approve` to the one `edition` group object), so the lazy
    # group's help is asked in a process where nothing else loaded a module.
    runner, group = CliRunner(), eager_group()
    groups = [(name,) for name, command in group.commands.items() if isinstance(command, click.Group)]
    commands = [(), *groups]
    eager = [runner.invoke(group, [*args, "--help"], prog_name="digest", terminal_width=80).output for args in commands]
    assert fresh_help(commands) == eager


def test_an_unknown_command_is_still_refused() -> None:
    result = CliRunner().invoke(cli, ["nosuch"], prog_name="digest")
    assert result.exit_code == 2
    assert "No such command 'nosuch'" in result.output


def test_summarize_style_choices_are_the_summariser_styles() -> None:
    assert tuple(sorted(STYLES)) == STYLE_NAMES


def imported_by(*args: str) -> set[str]:
    """The modules a fresh `digest ARGS` has imported when it exits."""
    code = (
        "import sys\n"
        "from digest.cli import cli\n"
        "try:\n"
        f"    cli.main({list(args)!r}, prog_name='digest')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stderr.split())


HEAVY = ("sqlalchemy", "alembic", "rich", "jinja2", "babel", "httpx", "starlette", "asyncio", "digest.store")


@pytest.mark.parametrize(
    ("args", "loaded", "not_loaded"),
    [
        (("--help",), (), ("digest.cli.send", "digest.cli.summarize", "digest.cli.context", "digest.config")),
        (("status", "--help"), ("digest.cli.send",), ("digest.cli.summarize", "digest.config")),
        (("summarize", "--help"), ("digest.cli.summarize",), ("digest.cli.send", "digest.editorial.summarize")),
    ],
)
def test_help_imports_only_the_commands_module(
    args: tuple[str, ...], loaded: tuple[str, ...], not_loaded: tuple[str, ...]
) -> None:
    modules = imported_by(*args)
    assert "click" in modules and "digest.cli" in modules
    for name in loaded:
        assert name in modules
    for name in (*not_loaded, *HEAVY):
        assert name not in modules, name


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running ``code``."""
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


#: What a sender process (`digest send` of built editions, `digest worker`, a helper)
#: does not need at start: the migrations, the editorial pipeline and language model
#: (imported when a language must be built), CSS inlining (at the first render), the
#: web app and the scheduler (the service's loop only).
NOT_FOR_SENDING = (
    "alembic",
    "mako",
    "digest.daily.build",
    "digest.editorial.pick",
    "digest.editorial.plan",
    "digest.language_model",
    "digest.daily.learning",
    "premailer",
    "cssutils",
    "digest.runtime",
    "digest.web",
    "uvicorn",
)


def test_a_sender_process_imports_only_what_sending_needs() -> None:
    modules = modules_after(
        "import digest.cli.send, digest.actions.deliveries, digest.daily.send, digest.daily.status\n"
        "from digest.cli import cli\n"
        "cli.get_command(None, 'worker')"
    )
    assert {"digest.daily.send", "digest.deliver.sender", "digest.mail.compose", "digest.store"} <= modules
    loaded = {m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_FOR_SENDING)}
    assert loaded == set()
