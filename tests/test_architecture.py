"""The one-way flow of imports, checked on the source with ``ast``.

Front doors (digest.cli, digest.web, the scheduler adapter digest.runtime.scheduler) are called,
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
COMPOSITION_ROOT = "digest.runtime.service"
#: Front doors only the composition root may import (their own modules aside).
SERVICE_DOORS = ("digest.web", "digest.runtime.scheduler")
#: The doors people use: they parse, call one action or daily function, and present.
DOORS = ("digest.cli", "digest.web")
#: What a door must not import: it reaches them through digest.actions and digest.daily.
BEHIND_DOORS = ("digest.store", "digest.deliver", "digest.ingest")
#: The door modules allowed to build a Store (the CLI's composition root).
DOOR_ROOTS = ("digest.cli.context",)
#: Pure steps: values in, values out.
PURE = ("digest.editorial", "digest.mail", "digest.text")
#: What a pure step must not import.
IMPURE = ("digest.store", "digest.deliver", "digest.ingest", "sqlalchemy", "aiosmtplib", "httpx")
#: Clock readings a pure step must not make (it is given ``now``).
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}
#: Leaf packages: like the top-level modules, they import only leaves.
LEAF_PACKAGES = ("digest.config",)


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_name(path: Path) -> str:
    """``digest/mail/mime.py`` -> ``digest.mail.mime``; a package's ``__init__`` is
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


def is_leaf(module: str) -> bool:
    """A leaf is a module at the top of ``digest/`` (errors, models, words...) or a leaf
    package (config): the top of the package holds nothing else."""
    parts = module.split(".")
    if any(_within(module, leaf) for leaf in LEAF_PACKAGES):
        return True
    top = len(parts) == 2 and parts[0] == "digest" and not (PACKAGE / parts[1]).is_dir()
    return top and module != "digest.__main__"  # ``python -m digest`` is the CLI's door


def unit(name: str) -> str:
    """The package-level unit a module belongs to: ``digest.mail.mime`` -> ``digest.mail``,
    ``digest.words`` -> ``digest.words``."""
    return ".".join(name.split(".")[:2])


def violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """What is wrong with ``module``'s imports (and, for a pure step, its clock use)."""
    tree = ast.parse(source)
    names = imported(module, tree, is_package=is_package)
    out = []
    for name in names:
        if _within(name, "digest.cli") and not (_within(module, "digest.cli") or module == "digest.__main__"):
            out.append(f"{module} imports the CLI ({name})")
        if _within(name, "digest.runtime") and not (_within(module, "digest.runtime") or _within(module, "digest.cli")):
            out.append(f"{module} imports the runtime ({name}): only the CLI starts it")
        for door in SERVICE_DOORS:
            if _within(name, door) and module != COMPOSITION_ROOT and not _within(module, door):
                out.append(f"{module} imports {door} ({name}): only {COMPOSITION_ROOT} may")
        in_door = any(_within(module, door) for door in DOORS) and module not in DOOR_ROOTS
        if in_door and any(_within(name, behind) for behind in BEHIND_DOORS):
            out.append(f"{module} is a door but imports {name}: go through digest.actions or digest.daily")
        if any(_within(module, pure) for pure in PURE) and any(_within(name, bad) for bad in IMPURE):
            out.append(f"{module} is a pure step but imports {name}")
        own_package = any(_within(module, leaf) and _within(name, leaf) for leaf in LEAF_PACKAGES)
        inside_digest = _within(name, "digest") and name != "digest" and name != "digest.__version__"
        if is_leaf(module) and inside_digest and not own_package and not is_leaf(unit(name)):
            out.append(f"{module} is a leaf but imports {name}")
    if any(_within(module, pure) for pure in PURE):
        out += [f"{module} is a pure step but reads the clock: {call}" for call in clock_calls(tree)]
    return sorted(set(out))


def package_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Which package-level unit imports which, from ``{module: (source, is_package)}``."""
    graph: dict[str, set[str]] = {}
    for module, (source, is_package) in sources.items():
        here = unit(module)
        for name in imported(module, ast.parse(source), is_package=is_package):
            there = unit(name)
            if _within(name, "digest") and there != here and there != "digest.__version__" and name != "digest":
                graph.setdefault(here, set()).add(there)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle between package-level units, each as ``a -> b -> a``."""
    found: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                loop = path[path.index(nxt) :]
                start = loop.index(min(loop))  # one spelling per cycle
                loop = loop[start:] + loop[:start]
                found.add(" -> ".join([*loop, loop[0]]))
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for node in sorted(graph):
        visit(node, [node])
    return sorted(found)


def _sources() -> dict[str, tuple[str, bool]]:
    return {
        module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _all_violations() -> list[str]:
    sources = _sources()
    assert len(sources) > 50  # the walk found the package
    found = []
    for module, (source, is_package) in sources.items():
        found += violations(module, source, is_package=is_package)
    return found


def test_every_module_imports_downwards_only() -> None:
    assert [v for v in _all_violations() if " is a door " not in v] == []


def test_doors_import_no_store_deliver_or_ingest() -> None:
    assert [v for v in _all_violations() if " is a door " in v] == []


def test_packages_form_one_acyclic_graph() -> None:
    graph = package_graph(_sources())
    assert "digest.mail" in graph["digest.deliver"]  # the walk saw the imports
    assert cycles(graph) == []


def test_a_planted_package_cycle_is_caught() -> None:
    sources = {
        "digest.editorial.plan": ("from digest.mail.view import section_of", False),
        "digest.mail.view": ("from digest.editorial.plan import fit_budget", False),
        "digest.deliver.sender": ("from digest.mail.compose import EditionComposer", False),
    }
    assert cycles(package_graph(sources)) == ["digest.editorial -> digest.mail -> digest.editorial"]
    sources["digest.mail.view"] = ("from digest.models import Edition", False)
    assert cycles(package_graph(sources)) == []


def test_the_top_of_the_package_holds_only_leaves() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert "words" in top and "errors" in top
    for stem in top:
        assert is_leaf(f"digest.{stem}")
    assert not is_leaf("digest.mail") and not is_leaf("digest.mail.view")


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("digest.daily.send", "from digest.cli.context import utcnow", "imports the CLI"),
        ("digest.deliver.sender", "from digest import cli", "imports the CLI"),
        ("digest.store.editions", "import digest.cli._delivery_view", "imports the CLI"),
        ("digest.daily.tick", "from digest.runtime.scheduler import ScheduleRunner", "imports the runtime"),
        ("digest.cli.serve", "from digest.web.app import create_app", "imports digest.web"),
        ("digest.deliver.messages", "from digest import web", "imports digest.web"),
        ("digest.web.api", "from digest.store import Store", "is a door but imports digest.store"),
        ("digest.cli.send", "from digest.deliver.sender import run_sender", "is a door but imports digest.deliver"),
        ("digest.web.admin.core", "import digest.ingest", "is a door but imports digest.ingest"),
        ("digest.mail.view", "from digest.store import Store", "pure step but imports digest.store"),
        ("digest.editorial.summarize.scoring", "from ...deliver import sender", "pure step but imports digest.deliver"),
        ("digest.editorial.pick", "import sqlalchemy", "pure step but imports sqlalchemy"),
        ("digest.editorial.plan", "import httpx", "pure step but imports httpx"),
        ("digest.mail.mime", "import aiosmtplib", "pure step but imports aiosmtplib"),
        ("digest.text.boilerplate", "from digest.ingest import fetch", "pure step but imports digest.ingest"),
        (
            "digest.editorial.plan",
            "from datetime import datetime\nx = datetime.now()",
            "reads the clock: datetime.now()",
        ),
        (
            "digest.editorial.pick",
            "import datetime\nx = datetime.datetime.utcnow()",
            "reads the clock: datetime.utcnow()",
        ),
        ("digest.mail.html", "import time\nx = time.time()", "reads the clock: time.time()"),
        ("digest.models", "from digest.store import Store", "leaf but imports digest.store"),
        ("digest.config", "from digest.daily import build", "leaf but imports digest.daily"),
        ("digest.errors", "from . import mail", "leaf but imports digest.mail"),
        ("digest.timing", "from digest.mail.view import view_of", "leaf but imports digest.mail.view"),
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
        (
            "digest.runtime.service",
            "from digest.web.app import create_app\nfrom digest.runtime.scheduler import ScheduleRunner",
        ),
        ("digest.web.api", "from digest.web.context import context_of"),
        ("digest.cli.serve", "from digest.runtime import service"),
        ("digest.cli.context", "from digest.store import Store"),
        ("digest.mail.view", "from digest.models import Edition\nfrom datetime import datetime"),
        ("digest.models", "from digest.errors import ValidationError"),
        ("digest.links", "from digest.tokens import Signer"),
        ("digest.config.load", "from digest.config.schema import SCHEMA\nfrom digest.errors import ConfigError"),
        ("digest.daily.build", "from datetime import datetime\nx = datetime.now()"),  # not a pure step
    ],
)
def test_allowed_imports_pass(module: str, source: str) -> None:
    assert violations(module, source) == []
