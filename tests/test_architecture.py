"""The one-way flow of imports, checked on the source with ``ast``.

Front doors (digest.cli, digest.web, the scheduler adapter digest.schedule) are called,
never imported as libraries; the pure steps take values (no store, network or clock);
the leaf modules import nothing above them. Each rule is also shown to catch a planted
violation, so the check cannot pass by reading nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "digest"

#: The service's composition root: the one module that wires the front doors together.
COMPOSITION_ROOT = "digest.service"
#: Front doors only the composition root may import (their own modules aside).
SERVICE_DOORS = ("digest.web", "digest.schedule")
#: Pure steps: values in, values out.
PURE = ("digest.select", "digest.summarize", "digest.edition", "digest.render")
#: What a pure step must not import.
IMPURE = ("digest.store", "digest.deliver", "digest.ingest", "sqlalchemy", "aiosmtplib", "httpx")
#: Clock readings a pure step must not make (it is given ``now``).
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}
#: Leaf modules, and the only digest modules they may import.
LEAVES = ("digest.errors", "digest.models", "digest.config")
LEAF_IMPORTS = ("digest.errors", "digest.models")


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_name(path: Path) -> str:
    """``digest/render/mime.py`` -> ``digest.render.mime``; a package's ``__init__`` is
    the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(module: str, tree: ast.AST, *, is_package: bool = False) -> list[str]:
    """Every module ``tree`` imports, absolute (``from digest import cli`` counts as
    ``digest.cli``; relative imports are resolved against ``module``)."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.append(base)
            out += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
    return out


def clock_calls(tree: ast.AST) -> list[str]:
    """Calls that read the clock: ``datetime.now()``, ``datetime.datetime.utcnow()``,
    ``date.today()``, ``time.time()``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(f"{name}.{node.func.attr}() at line {node.lineno}")
    return found


def violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """What is wrong with ``module``'s imports (and, for a pure step, its clock use)."""
    tree = ast.parse(source)
    names = imported(module, tree, is_package=is_package)
    out = []
    for name in names:
        if _within(name, "digest.cli") and not (_within(module, "digest.cli") or module == "digest.__main__"):
            out.append(f"{module} imports the CLI ({name})")
        for door in SERVICE_DOORS:
            if _within(name, door) and module != COMPOSITION_ROOT and not _within(module, door):
                out.append(f"{module} imports {door} ({name}): only {COMPOSITION_ROOT} may")
        if any(_within(module, pure) for pure in PURE) and any(_within(name, bad) for bad in IMPURE):
            out.append(f"{module} is a pure step but imports {name}")
        # a leaf may be a package (digest.config/): its own modules are allowed
        own = [leaf for leaf in LEAVES if _within(module, leaf)]
        leaf_breach = not any(_within(name, leaf) for leaf in (*LEAF_IMPORTS, *own))
        if own and _within(name, "digest") and name != "digest" and leaf_breach:
            out.append(f"{module} is a leaf but imports {name}")
    if any(_within(module, pure) for pure in PURE):
        out += [f"{module} is a pure step but reads the clock: {call}" for call in clock_calls(tree)]
    return sorted(set(out))


def test_every_module_imports_downwards_only() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50  # the walk found the package
    found = []
    for path in modules:
        found += violations(module_name(path), path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py")
    assert found == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("digest.daily.send", "from digest.cli.context import utcnow", "imports the CLI"),
        ("digest.deliver.sender", "from digest import cli", "imports the CLI"),
        ("digest.store.editions", "import digest.cli._delivery_view", "imports the CLI"),
        ("digest.daily.tick", "from digest.schedule import ScheduleRunner", "imports digest.schedule"),
        ("digest.cli.serve", "from digest.web.app import create_app", "imports digest.web"),
        ("digest.deliver.messages", "from digest import web", "imports digest.web"),
        ("digest.render.view", "from digest.store import Store", "pure step but imports digest.store"),
        ("digest.summarize.scoring", "from ..deliver import sender", "pure step but imports digest.deliver"),
        ("digest.select", "import sqlalchemy", "pure step but imports sqlalchemy"),
        ("digest.edition", "import httpx", "pure step but imports httpx"),
        ("digest.render.mime", "import aiosmtplib", "pure step but imports aiosmtplib"),
        ("digest.edition", "from datetime import datetime\nx = datetime.now()", "reads the clock: datetime.now()"),
        ("digest.select", "import datetime\nx = datetime.datetime.utcnow()", "reads the clock: datetime.utcnow()"),
        ("digest.render.html", "import time\nx = time.time()", "reads the clock: time.time()"),
        ("digest.models", "from digest.store import Store", "leaf but imports digest.store"),
        ("digest.config", "from digest.timing import zone", "leaf but imports digest.timing"),
        ("digest.errors", "from . import render", "leaf but imports digest.render"),
        ("digest.config.schema", "from digest.store import Store", "leaf but imports digest.store"),
    ],
)
def test_a_planted_violation_is_caught(module: str, source: str, expected: str) -> None:
    found = violations(module, source)
    assert any(expected in v for v in found), found


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("digest.cli.send", "from digest.cli.context import utcnow"),
        ("digest.__main__", "from digest.cli import main"),
        ("digest.service", "from digest.web.app import create_app\nfrom digest.schedule import ScheduleRunner"),
        ("digest.web.api", "from digest.web.context import context_of"),
        ("digest.cli.serve", "from digest import service"),
        ("digest.render.view", "from digest.models import Edition\nfrom datetime import datetime"),
        ("digest.models", "from digest.errors import ValidationError"),
        ("digest.config.load", "from digest.config.schema import SCHEMA\nfrom digest.errors import ConfigError"),
        ("digest.daily.build", "from datetime import datetime\nx = datetime.now()"),  # not a pure step
    ],
)
def test_allowed_imports_pass(module: str, source: str) -> None:
    assert violations(module, source) == []
