"""Door parity for the people and sources actions: the CLI, the console (a signed-in
owner posting forms with the CSRF token) and the JSON API reach the same function of
:mod:`digest.actions`, so each leaves the same audit row (one action name whichever
door) and the same change in the database.

Each door runs on its own copy of one migrated SQLite file, after the same set-up;
the comparison leaves out times and ids, and reads the door's own provenance (a
consent's or an unsubscription's ``source``: cli, admin, api) as one value.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_support import PASSWORD, make_admin, sign_in, token_of
from click.testing import CliRunner
from database_support import new_sqlite_store
from fixtures.ingest.http_server import FeedServer, Route, feed_server
from smtp_server import SMTPServer
from sqlalchemy import Table, select
from web_support import ADMIN, CATEGORIES, SECRET, Clock, add_subscriber, web_settings

from digest import actions, config
from digest.admins import Role, verify_password
from digest.cli import cli
from digest.store import Store, immediate
from digest.store import subscribers as db
from digest.store import tables as t
from digest.store.admins import credentials
from digest.web.app import create_app

FIXTURES = Path(__file__).parent / "fixtures"
OWNER = "owner@example.org"
NEW_PASSWORD = "a brand new long password"
CSV = b"email,name,language\nimported@example.org,Imp,en\nnot-an-address,,\n"

#: Door-specific provenance, read as one value: consent and unsubscribe sources.
SOURCES = {"cli", "admin", "api"}
#: Tables an action of this family may change (confirmation_mails is the web's own
#: rate-limit bookkeeping, kept by the web's mail path only).
TABLES = (
    t.subscribers,
    t.suppressions,
    t.admins,
    t.feeds,
    t.articles,
    t.subscription_requests,
    t.suppression_overrides,
    t.api_keys,
)
#: Columns that differ by run, not by door: times, ids, salted hashes.
SKIP = {"id", "password_hash", "at", "content_hash", "feed_id", "secret_hash", "hint"}


@dataclass
class Door:
    """One way in: the CLI's arguments (and stdin), or an HTTP request."""

    cli: list[str] | None = None
    stdin: str | None = None
    method: str = "POST"
    path: str = ""
    form: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


@dataclass
class Case:
    """One action: its audit name, the set-up every door starts from, and the three doors."""

    action: str
    cli: Door
    console: Door
    api: Door
    setup: Callable[[Store, datetime, FeedServer], None] = lambda store, now, server: None
    check: Callable[[Store], None] = lambda store: None
    cli_exit: int = 0  # 1 by contract when a row or an item was rejected


def _subscriber(store: Store, now: datetime, server: FeedServer) -> None:
    add_subscriber(store, "ada@example.org", now, name="Ada", language="fr")  # id 1
    add_subscriber(store, "pending@example.org", now, confirmed=False)  # id 2


def _suppressed(store: Store, now: datetime, server: FeedServer) -> None:
    db.suppress(store, "gone@example.org", "unsubscribed", now=now, detail="link")  # entry 1


def _soft_bounced(store: Store, now: datetime, server: FeedServer) -> None:
    """Ada (id 1), suppressed after soft bounces: a cause an operator may lift."""
    from digest.store.bounces import suppress_subscriber

    add_subscriber(store, "ada@example.org", now, name="Ada", language="fr")
    with immediate(store.engine) as conn:
        suppress_subscriber(conn, 1, "soft_bounce", now=now, detail="3 soft bounces; last: 452 4.2.2 mailbox full")


def _editor(store: Store, now: datetime, server: FeedServer) -> None:
    make_admin(store, "editor@example.org", Role.EDITOR, now)


def _feed(store: Store, now: datetime, server: FeedServer) -> None:
    from digest.actions import feeds

    settings = config.load(env={}).with_overrides({"ingest": {"allow_private_networks": True}})
    ops = actions.Operations(settings, store, lambda: now)
    feeds.add(ops, actions.Actor("setup", Role.OWNER, actions.Door.SERVICE), server.url("/rss"))


def _owner_key(store: Store, now: datetime, server: FeedServer) -> None:
    """Key 1, the owner's (admin id 1), as the console would have made it."""
    from digest.store import api_keys

    api_keys.add(store, 1, "deploy", Role.EDITOR, "dgk_parity-secret", hint="dgk_pari", now=now)


def _new_password_set(store: Store) -> None:
    found = credentials(store, "editor@example.org")
    assert found is not None and verify_password(found[1], NEW_PASSWORD)


CASES = {
    "subscriber.add": Case(
        "subscriber.add",
        cli=Door(["subscribers", "add", "new@example.org", "--name", "Neu", "--language", "en", "--topics", "Sport"]),
        console=Door(
            path="/admin/subscribers/add",
            form={"email": "new@example.org", "name": "Neu", "language": "en", "topics": "Sport"},
        ),
        api=Door(
            path="/api/subscribers",
            json={"email": "new@example.org", "name": "Neu", "language": "en", "topics": ["Sport"]},
        ),
    ),
    "subscriber.update": Case(
        "subscriber.update",
        setup=_subscriber,
        cli=Door(
            [
                "subscribers",
                "update",
                "ada@example.org",
                "--name",
                "Ada L.",
                "--language",
                "en",
                "--topics",
                "Sport;Tech",
            ]
        ),
        console=Door(
            path="/admin/subscribers/1/edit",
            form={"name": "Ada L.", "language": "en", "topics": "Sport, Tech", "timezone": "", "send_at": ""},
        ),
        api=Door(
            method="PATCH",
            path="/api/subscribers/1",
            json={"name": "Ada L.", "language": "en", "topics": ["Sport", "Tech"]},
        ),
    ),
    "subscriber.unsubscribe": Case(
        "subscriber.unsubscribe",
        setup=_subscriber,
        cli=Door(["subscribers", "remove", "ada@example.org"]),
        console=Door(path="/admin/subscribers/1/unsubscribe"),
        api=Door(method="DELETE", path="/api/subscribers/1"),
    ),
    "subscriber.forget": Case(
        "subscriber.forget",
        setup=_subscriber,
        cli=Door(["subscribers", "remove", "ada@example.org", "--forget"]),
        console=Door(path="/admin/subscribers/1/forget"),
        api=Door(method="DELETE", path="/api/subscribers/1", params={"forget": "true"}),
    ),
    "subscriber.import": Case(
        "subscriber.import",
        cli=Door(["subscribers", "import", "{tmp}/upload.csv"]),
        cli_exit=1,
        console=Door(path="/admin/subscribers/import", files={"file": ("upload.csv", CSV, "text/csv")}),
        api=Door(path="/api/subscribers/import", content=CSV),
    ),
    "subscriber.export": Case(
        "subscriber.export",
        setup=_subscriber,
        cli=Door(["subscribers", "export", "--out", "{tmp}/out.csv"]),
        console=Door(method="GET", path="/admin/subscribers/export"),
        api=Door(method="GET", path="/api/subscribers/export"),
    ),
    "subscriber.resend_confirmation": Case(
        "subscriber.resend_confirmation",
        setup=_subscriber,
        cli=Door(["subscribers", "resend-confirmation", "pending@example.org"]),
        console=Door(path="/admin/subscribers/2/resend-confirmation"),
        api=Door(path="/api/subscribers/2/resend-confirmation"),
    ),
    "subscriber.bulk": Case(
        "subscriber.bulk",
        setup=_subscriber,
        cli=Door(["subscribers", "bulk", "unsubscribe", "--all-matching", "--status", "confirmed", "--yes"]),
        console=Door(
            path="/admin/subscribers/bulk",
            form={"operation": "unsubscribe", "all_matching": "yes", "status": "confirmed", "confirm": "yes"},
        ),
        api=Door(path="/api/subscribers/bulk", json={"operation": "unsubscribe", "filter": {"status": "confirmed"}}),
    ),
    "subscriber.reconfirm": Case(
        "subscriber.reconfirm",
        setup=_soft_bounced,
        cli=Door(["subscribers", "reconfirm", "ada@example.org", "--reason", "relay fixed"]),
        console=Door(path="/admin/subscribers/1/reconfirm", form={"reason": "relay fixed"}),
        api=Door(path="/api/subscribers/1/reconfirm", json={"reason": "relay fixed"}),
    ),
    "suppression.add": Case(
        "suppression.add",
        cli=Door(["subscribers", "suppress", "Spam@Example.org", "--detail", "asked by phone"]),
        console=Door(path="/admin/suppressions/add", form={"address": "Spam@Example.org", "detail": "asked by phone"}),
        api=Door(path="/api/suppressions", json={"email": "Spam@Example.org", "detail": "asked by phone"}),
    ),
    "suppression.remove": Case(
        "suppression.remove",
        setup=_suppressed,
        cli=Door(["subscribers", "unsuppress", "gone@example.org"]),
        console=Door(path="/admin/suppressions/1/remove"),
        api=Door(method="DELETE", path="/api/suppressions", params={"address": "gone@example.org"}),
    ),
    "admin.add": Case(
        "admin.add",
        cli=Door(["admins", "add", "new.admin@example.org", "--role", "editor"], stdin=NEW_PASSWORD + "\n"),
        console=Door(
            path="/admin/admins/add",
            form={"email": "new.admin@example.org", "role": "editor", "password": NEW_PASSWORD},
        ),
        api=Door(
            path="/api/admins", json={"email": "new.admin@example.org", "role": "editor", "password": NEW_PASSWORD}
        ),
    ),
    "admin.remove": Case(
        "admin.remove",
        setup=_editor,
        cli=Door(["admins", "remove", "editor@example.org"]),
        console=Door(path="/admin/admins/remove", form={"email": "editor@example.org"}),
        api=Door(method="DELETE", path="/api/admins/editor@example.org"),
    ),
    "admin.role": Case(
        "admin.role",
        setup=_editor,
        cli=Door(["admins", "role", "editor@example.org", "viewer"]),
        console=Door(path="/admin/admins/role", form={"email": "editor@example.org", "role": "viewer"}),
        api=Door(method="PATCH", path="/api/admins/editor@example.org", json={"role": "viewer"}),
    ),
    "admin.password": Case(
        "admin.password",
        setup=_editor,
        check=_new_password_set,
        cli=Door(["admins", "password", "editor@example.org"], stdin=NEW_PASSWORD + "\n"),
        console=Door(path="/admin/admins/password", form={"email": "editor@example.org", "password": NEW_PASSWORD}),
        api=Door(method="PATCH", path="/api/admins/editor@example.org", json={"password": NEW_PASSWORD}),
    ),
    "api_key.create": Case(
        "api_key.create",
        cli=Door(["keys", "create", "nightly export", "--admin", OWNER, "--role", "viewer"]),
        console=Door(path="/admin/keys", form={"name": "nightly export", "role": "viewer", "admin": OWNER}),
        api=Door(path="/api/keys", json={"name": "nightly export", "role": "viewer", "admin": OWNER}),
    ),
    "api_key.revoke": Case(
        "api_key.revoke",
        setup=_owner_key,
        cli=Door(["keys", "revoke", "1"]),
        console=Door(path="/admin/keys/1/revoke"),
        api=Door(method="DELETE", path="/api/keys/1"),
    ),
    "feed.add": Case(
        "feed.add",
        cli=Door(["feeds", "add", "https://News.example.org/rss.xml#top", "--category", "Tech", "--language", "en"]),
        console=Door(
            path="/admin/feeds/add",
            form={"url": "https://News.example.org/rss.xml#top", "category": "Tech", "language": "en"},
        ),
        api=Door(
            path="/api/feeds",
            json={"url": "https://News.example.org/rss.xml#top", "category": "Tech", "language": "en"},
        ),
    ),
    "feed.remove": Case(
        "feed.remove",
        setup=_feed,
        cli=Door(["feeds", "remove", "{feed}"]),
        console=Door(path="/admin/feeds/remove", form={"url": "{feed}"}),
        api=Door(method="DELETE", path="/api/feeds", params={"url": "{feed}"}),
    ),
    "feed.poll": Case(
        "feed.poll",
        setup=_feed,
        cli=Door(["feeds", "poll"]),
        cli_exit=1,
        console=Door(path="/admin/feeds/poll"),
        api=Door(path="/api/feeds/poll"),
    ),
}

#: Actions that change no row of :data:`TABLES` (a read, a salted hash, a mail).
UNCHANGED = {"subscriber.export", "admin.password", "subscriber.resend_confirmation"}

#: The action families this file's parity cases cover (tests/test_actions_desk.py: the
#: editions' and deliveries').
PEOPLE_KINDS = {"subscriber", "suppression", "admin", "feed", "article", "session", "bounce", "api_key"}

#: Actions of this family with fewer than three doors, and why.
NOT_EVERY_DOOR = {
    "bounce.import": "the CLI only: bounce reports are files on the mail host (digest bounces import)",
    "article.import": "the CLI only: articles come in by feed polls, files and URLs given to the CLI",
    **dict.fromkeys(
        ["feed.import", "feed.export"],
        "OPML feed lists: the CLI and the console (tests/test_ingest_formats.py, tests/test_ingest_console.py)",
    ),
    **dict.fromkeys(
        ["session.sign_in", "session.sign_in_failed", "session.sign_out", "session.sign_out_everywhere"],
        "the console only: its sessions (tests/test_admin_sessions.py)",
    ),
}


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with feed_server() as s:
        s.routes["/rss"] = Route(body=(FIXTURES / "ingest" / "rss.xml").read_bytes(), etag='"rss-1"')
        yield s


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """One migrated SQLite file, copied for each door."""
    path = tmp_path / "template.db"
    store = new_sqlite_store(path)
    store.close()
    return path


def _fill(value: str, values: dict[str, str]) -> str:
    for key, replacement in values.items():
        value = value.replace("{" + key + "}", replacement)
    return value


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an action may change, without times, ids and salted
    hashes, with the door's own provenance read as "<door>"."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        for table in TABLES:
            assert isinstance(table, Table)
            columns: list[Any] = [c for c in table.c if c.name not in SKIP and not c.name.endswith("_at")]
            if table is t.api_keys:  # a revocation is a time: read whether there is one
                columns.append(t.api_keys.c.revoked_at.is_not(None).label("revoked"))
            rows = conn.execute(select(*columns).order_by(*columns[:1]))
            out[table.name] = sorted(
                tuple("<door>" if isinstance(v, str) and v in SOURCES else v for v in row) for row in rows
            )
    return out


def audit_rows(store: Store) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The audit log as (action, target, door, details without the door), oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.id)).all()
    out = []
    for row in rows:
        details = json.loads(row.details or "{}")
        out.append((row.action, row.target, str(details.pop("door", "")), details))
    return out


class Doors:
    """Runs one case through one door, on a fresh copy of the template database."""

    def __init__(self, tmp_path: Path, template: Path, smtp: SMTPServer, server: FeedServer, now: datetime) -> None:
        self.tmp_path, self.template, self.smtp, self.server, self.now = tmp_path, template, smtp, server, now

    def _store(self, case: Case, door: str) -> Store:
        path = self.tmp_path / f"{case.action}.{door}.db"
        shutil.copy(self.template, path)
        store = Store(f"sqlite:///{path}")
        make_admin(store, OWNER, Role.OWNER, self.now)
        case.setup(store, self.now, self.server)
        return store

    def _values(self) -> dict[str, str]:
        return {"tmp": str(self.tmp_path), "feed": self.server.url("/rss")}

    async def cli(self, case: Case) -> Store:
        store = self._store(case, "cli")
        (self.tmp_path / "upload.csv").write_bytes(CSV)
        config = self.tmp_path / "digest.toml"
        config.write_text(
            f"""[newsletter]
name = "Le Brief"
base_url = "https://brief.example.org"
categories = {json.dumps(CATEGORIES, ensure_ascii=False)}
[database]
url = "{store.url}"
[smtp]
host = "127.0.0.1"
port = {self.smtp.port}
timeout_seconds = 5
[ingest]
allow_private_networks = true
""",
            encoding="utf-8",
        )
        assert case.cli.cli is not None
        args = [_fill(a, self._values()) for a in case.cli.cli]
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            ["--config", str(config), *args],
            input=case.cli.stdin,
            env={"DIGEST_SECRET_KEY": SECRET},
        )
        assert result.exit_code == case.cli_exit, result.output
        return store

    async def http(self, case: Case, door: str) -> Store:
        store = self._store(case, door)
        spec = case.console if door == "console" else case.api
        settings = web_settings(self.tmp_path, self.smtp.port, ingest={"allow_private_networks": True})
        app = create_app(settings, store, now=Clock(self.now))
        values = self._values()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            headers: dict[str, str] = {}
            form = {k: _fill(v, values) for k, v in spec.form.items()}
            if door == "console":
                assert (await sign_in(client, OWNER, PASSWORD)).status_code == 303
                form["csrf_token"] = await token_of(client, "/admin/feeds")
            else:
                headers = ADMIN
            response = await client.request(
                spec.method,
                spec.path,
                headers=headers,
                params={k: _fill(v, values) for k, v in spec.params.items()},
                data=form if spec.method != "GET" and door == "console" else None,
                json=spec.json,
                content=spec.content,
                files=spec.files,
            )
            assert response.status_code in (200, 201, 202, 303), response.text[:500]
            if response.status_code == 303:  # the console's answer: its flash says what happened
                landed = await client.get(response.headers["location"])
                assert 'class="banner" role="status"' in landed.text, landed.text[:3000]
        return store


@pytest.mark.parametrize("name", sorted(CASES))
async def test_cli_console_and_api_make_the_same_change_under_one_audit_name(
    name: str, tmp_path: Path, template: Path, smtp: SMTPServer, server: FeedServer, now: datetime
) -> None:
    case = CASES[name]
    doors = Doors(tmp_path, template, smtp, server, now)
    stores = {
        "cli": await doors.cli(case),
        "console": await doors.http(case, "console"),
        "api": await doors.http(case, "api"),
    }
    try:
        before = snapshot(doors._store(case, "before"))
        changes = {door: snapshot(store) for door, store in stores.items()}
        assert (changes["cli"] != before) is (name not in UNCHANGED), name
        assert changes["console"] == changes["cli"], name
        assert changes["api"] == changes["cli"], name
        audits = {door: audit_rows(store) for door, store in stores.items()}
        for door, rows in audits.items():
            mine = [r for r in rows if r[0] == case.action]
            assert len(mine) == 1, (door, rows)
            assert mine[0][2] == door, (door, mine)
            signing_in = [r for r in rows if r[0].startswith("session.")]  # the console's own sign-in
            assert [r[0] for r in rows if r[2] == door and r not in signing_in] == [case.action], (door, rows)
        first = {door: next(r for r in rows if r[0] == case.action) for door, rows in audits.items()}
        assert first["console"][::3] == first["cli"][::3] == first["api"][::3]  # action and details
        assert first["console"][1] == first["cli"][1] == first["api"][1]  # target
        for store in stores.values():
            case.check(store)
    finally:
        for store in stores.values():
            store.close()


def test_every_people_action_has_a_parity_case() -> None:
    for module in pkgutil.iter_modules(actions.__path__):
        importlib.import_module(f"digest.actions.{module.name}")  # each declares its actions at import

    kinds = PEOPLE_KINDS
    mine = {n for n in actions.ACTIONS if n.split(".")[0] in kinds}
    assert mine == set(CASES) | set(NOT_EVERY_DOOR)


def test_a_viewer_is_refused_before_anything_is_written(store: Store, now: datetime, tmp_path: Path) -> None:
    from digest.actions import subscribers
    from digest.subscribers.membership import Profile

    ops = actions.Operations(web_settings(tmp_path, 25), store, lambda: now)
    viewer = actions.Actor("viewer@example.org", Role.VIEWER, actions.Door.CONSOLE)
    with pytest.raises(actions.Forbidden, match=r"subscriber\.add: needs the editor role"):
        subscribers.add(ops, viewer, "x@example.org", Profile())
    assert db.by_email(store, "x@example.org") is None
    with store.engine.connect() as conn:
        assert conn.execute(select(t.audit_log)).first() is None


def test_the_last_owner_can_be_neither_removed_nor_demoted(store: Store, now: datetime, tmp_path: Path) -> None:
    from digest.actions import admins
    from digest.errors import ValidationError

    make_admin(store, OWNER, Role.OWNER, now)
    ops = actions.Operations(web_settings(tmp_path, 25), store, lambda: now)
    me = actions.Actor(OWNER, Role.OWNER, actions.Door.CONSOLE)
    with pytest.raises(ValidationError, match="last owner"):
        admins.remove(ops, me, OWNER)
    with pytest.raises(ValidationError, match="last owner"):
        admins.set_role(ops, me, OWNER, Role.EDITOR)
    admins.add(ops, me, "second@example.org", Role.OWNER, NEW_PASSWORD)
    assert admins.set_role(ops, me, OWNER, Role.EDITOR).role is Role.EDITOR


def test_every_declared_action_belongs_to_a_parity_test() -> None:
    """No action escapes the parity tests: its family is this file's or the desk's."""
    for module in pkgutil.iter_modules(actions.__path__):
        importlib.import_module(f"digest.actions.{module.name}")
    families = {name.split(".")[0] for name in actions.ACTIONS}
    assert families - PEOPLE_KINDS == {"edition", "delivery"}
