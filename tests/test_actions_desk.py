"""Parity of the doors over the desk and delivery actions: the CLI, the console and the
API reach the same function of digest.actions, leave the same audit row (one action name
whichever door, the door recorded beside it) and the same database change.

Each door acts on its own database, seeded identically; the desk's state and the audit
rows (actor, door and time aside) are then compared across the doors.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_support import make_admin, sign_in, token_of
from click.testing import CliRunner
from database_support import new_sqlite_store
from delivery_support import add_edition
from smtp_server import SMTPServer
from sqlalchemy import delete, select
from test_daily_build import DAY, insert_articles
from test_select import fixture_day
from test_web_api import edition_with_deliveries
from web_support import ADMIN, Clock, RecordingProofSender, web_settings

from digest import config
from digest.actions import ACTIONS, Actor, Door, Operations, stories
from digest.actions import editions as desk
from digest.admins import Role
from digest.cli import cli
from digest.daily.build import build_editions
from digest.editorial.desk import item_urls
from digest.models import ItemKind
from digest.store import Store, audit
from digest.store import desk as desk_store
from digest.store import desk_stories as story_store
from digest.store import tables as t
from digest.store.editions import get_edition, original_items
from digest.subscribers import membership as subs
from digest.web.app import create_app

EDITOR = "ed@example.org"
#: The clock of the web doors: after the edition's send time, as the CLI's real clock is.
WEB_NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SETUP = Actor("setup", Role.OWNER, Door.SERVICE)
#: The stories of :func:`two_stories` (delivery_support.add_edition), by URL.
STORY_1, STORY_2 = "https://news.example.org/0", "https://news.example.org/1"


@dataclass(frozen=True)
class Through:
    """One action as each door is asked for it (``{day}``, ``{id}`` filled in)."""

    cli: list[str]
    console: tuple[str, dict[str, str]]  # path under /admin/editions/{day}/fr or absolute, form fields
    api: tuple[str, str, dict[str, Any] | None]  # method, path under /api, JSON body
    doors: tuple[str, ...] = ("cli", "console", "api")


@dataclass
class World:
    """One door's database and what it saw."""

    store: Store
    edition_id: int
    seen: list[str] = field(default_factory=list)


Seed = Callable[[Store, Path], int]


def _settings(db_url: str) -> config.Settings:
    return config.load(env={}).with_overrides({"database": {"url": db_url}})


def built_edition(store: Store, _tmp: Path) -> int:
    """The fixture day's French edition, built from real articles."""
    insert_articles(store, fixture_day())
    (ed,) = build_editions(store, _settings(store.url), edition_date=DAY, now=WEB_NOW, languages=["fr"])
    assert ed.id is not None and len(ed.items) >= 4
    return ed.id


def two_stories(store: Store, _tmp: Path) -> int:
    """An edition of two top stories (no article behind them)."""
    return add_edition(store, day=DAY, now=WEB_NOW)


def ops_of(store: Store) -> Operations:
    return Operations(_settings(store.url), store, lambda: WEB_NOW)


def then(seed: Seed, step: Callable[[Operations, Any], object]) -> Seed:
    """``seed``, then a setup step through the action layer (not audited by a door)."""

    def seeded(store: Store, tmp: Path) -> int:
        edition_id = seed(store, tmp)
        step(ops_of(store), get_edition(store, edition_id))
        with store.engine.begin() as conn:
            conn.execute(delete(t.audit_log))
        return edition_id

    return seeded


def state(store: Store, edition_id: int, *, clocked: bool = True) -> dict[str, Any]:
    """What the actions change, free of who and when; stories named by URL. Without
    ``clocked``, the order of the stories the editor did not place is left out: a
    rebuild through the CLI runs on the real clock, and freshness ranks (and picks) them
    by it: the lead and the editor's decisions are compared, not the rest of the build."""
    ed = get_edition(store, edition_id)
    url = {i.position: i.url for i in original_items(store, edition_id)}
    order = desk_store.order(store, edition_id)
    edits = desk_store.edits(store, edition_id).values()
    with store.engine.connect() as conn:
        d = t.deliveries.c
        rows = conn.execute(select(d.subscriber_id, d.state, d.attempts).order_by(d.subscriber_id)).all()
        suppressions = conn.execute(select(t.suppressions.c.email_hash)).scalars().all()
    items = [(i.kind.value, i.url, i.title, i.summary) for i in ed.items]
    placed = [] if order is None else [url[p] for p in order.positions]
    return {
        "items": items if clocked or placed else items[:1],
        "edits": sorted((url[e.position], e.headline, e.summary, e.dropped) for e in edits),
        "order": None if order is None else (placed, url.get(order.lead or -1)),
        "approved": desk_store.approval(store, edition_id) is not None,
        "stories": [(d.what.value, d.url, d.other) for d in story_store.decisions(store, edition_id)],
        "deliveries": [tuple(r) for r in rows],
        "suppressions": sorted(suppressions),
    }


def _acted(action: str) -> bool:
    """An audited action, but the console's own sign-in (``session.*``), which the
    console door needs before any action and audits by itself."""
    return action in ACTIONS and not action.startswith("session.")


def audited(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    """The desk's audit rows, oldest first, door and actor set aside."""
    rows = [e for e in reversed(audit.recent(store, limit=100)) if _acted(e.action)]
    return [(e.action, e.target, {k: v for k, v in e.details.items() if k != "door"}) for e in rows]


def doors_of(store: Store) -> set[tuple[str, str]]:
    return {(e.actor.split(":")[0], e.details["door"]) for e in audit.recent(store, limit=100) if _acted(e.action)}


def _fill(value: str, world: World) -> str:
    return value.format(day=DAY.isoformat(), id=world.edition_id)


async def run_door(door: str, tmp_path: Path, smtp: SMTPServer, seed: Seed, call: Through) -> World:
    """Seed a fresh database, then make the call through ``door``."""
    home = tmp_path / door
    home.mkdir()
    store = new_sqlite_store(home / "digest.db")
    world = World(store, seed(store, home))
    if door == "cli":
        cfg = home / "digest.toml"
        cfg.write_text(f'[database]\nurl = "{store.url}"\n\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\n')
        result = CliRunner().invoke(cli, ["--config", str(cfg), *[_fill(a, world) for a in call.cli]])
        assert result.exit_code == 0, result.output
        world.seen.append(result.output)
        return world
    proofs = RecordingProofSender()
    app = create_app(web_settings(home, smtp.port), store, now=Clock(WEB_NOW), proof_sender=proofs)
    transport = httpx.ASGITransport(app=app)
    english = {"Accept-Language": "en"}  # the console's banners in English
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=english) as client:
        if door == "console":
            make_admin(store, EDITOR, Role.EDITOR, WEB_NOW)
            await sign_in(client, EDITOR)
            path, form = call.console
            path = _fill(path if path.startswith("/") else f"/admin/editions/{{day}}/fr/{path}", world)
            token = await token_of(client, f"/admin/editions/{DAY.isoformat()}")
            answer = await client.post(path, data={**form, "csrf_token": token}, follow_redirects=True)
            assert answer.status_code == 200, answer.text[:300]
            banner = re.search(r'<p class="(banner|error-summary)" role="status">(.*?)</p>', answer.text, re.S)
            assert banner is not None and banner.group(1) == "banner", answer.text[:2000]
            world.seen.append(html.unescape(banner.group(2)))
        else:
            method, path, body = call.api
            answer = await client.request(method, "/api" + _fill(path, world), json=body, headers=ADMIN)
            assert answer.status_code == 200, answer.text
            world.seen.append(answer.text)
    world.seen.extend(f"proof:{edition_id}:{','.join(to)}" for edition_id, to in proofs.calls)
    return world


async def parity(
    tmp_path: Path, smtp: SMTPServer, seed: Seed, call: Through, action: str, *, clocked: bool = True
) -> dict[str, World]:
    """Run ``call`` through every door; assert one audit row named ``action`` per door
    with that door recorded, and the same audit details and database state everywhere."""
    worlds = {door: await run_door(door, tmp_path, smtp, seed, call) for door in call.doors}
    for door, world in worlds.items():
        rows = audited(world.store)
        assert [name for name, _, _ in rows] == [action], (door, rows, world.seen)
        expected_actor = {"cli": "cli", "console": EDITOR, "api": "api"}[door]
        assert doors_of(world.store) == {(expected_actor, {"cli": "cli", "console": "console", "api": "api"}[door])}
    first, *others = call.doors
    for door in others:
        assert audited(worlds[door].store) == audited(worlds[first].store), door
        theirs = state(worlds[door].store, worlds[door].edition_id, clocked=clocked)
        ours = state(worlds[first].store, worlds[first].edition_id, clocked=clocked)
        for key in ours:
            assert theirs[key] == ours[key], (door, key, theirs[key], ours[key])
    return worlds


def _approve(ops: Operations, ed: Any) -> object:
    return desk.approve(ops, SETUP, ed)


async def test_approve_through_every_door(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(["edition", "approve", "--date", "{day}"], ("approve", {}), ("POST", "/editions/{id}/approve", None))
    worlds = await parity(tmp_path, smtp, two_stories, call, "edition.approve")
    assert all(state(w.store, w.edition_id)["approved"] for w in worlds.values())


async def test_withdraw_through_every_door(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["edition", "withdraw", "--date", "{day}", "--language", "fr"],
        ("withdraw", {}),
        ("POST", "/editions/{id}/withdraw", None),
    )
    worlds = await parity(tmp_path, smtp, then(two_stories, _approve), call, "edition.withdraw")
    assert not any(state(w.store, w.edition_id)["approved"] for w in worlds.values())
    (_, _, details), *_ = audited(worlds["api"].store)
    assert details["changes"] == {"approved_by": {"before": "setup", "after": None}}


async def test_item_save_through_every_door(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["edition", "edit", "--date", "{day}", "--story", "2", "--headline", "Un titre de la rédaction"],
        (
            "items/1",
            {
                "op": "save",
                "headline": "Un titre de la rédaction",
                "summary": "Un résumé de deux phrases. La seconde phrase.",
            },
        ),
        ("PATCH", "/editions/{id}/items/1", {"headline": "Un titre de la rédaction"}),
    )
    worlds = await parity(tmp_path, smtp, two_stories, call, "edition.item.save")
    assert state(worlds["cli"].store, 1)["edits"] == [(STORY_2, "Un titre de la rédaction", None, False)]


@pytest.mark.parametrize(
    ("op", "action", "dropped"), [("drop", "edition.item.drop", True), ("restore", "edition.item.restore", False)]
)
async def test_drop_and_restore_through_every_door(
    tmp_path: Path, smtp: SMTPServer, op: str, action: str, dropped: bool
) -> None:
    seed = (
        two_stories if dropped else then(two_stories, lambda ops, ed: desk.edit_item(ops, SETUP, ed, 0, dropped=True))
    )
    call = Through(
        ["edition", op, "--date", "{day}", "--story", "1"],
        ("items/0", {"op": op}),
        ("PATCH", "/editions/{id}/items/0", {"dropped": dropped}),
    )
    worlds = await parity(tmp_path, smtp, seed, call, action)
    titles = [i[2] for i in state(worlds["api"].store, 1)["items"]]
    assert titles == (["La pluie revient"] if dropped else ["Le budget adopté", "La pluie revient"])


async def test_revert_through_every_door(tmp_path: Path, smtp: SMTPServer) -> None:
    def edited(ops: Operations, ed: Any) -> object:
        return desk.edit_item(ops, SETUP, ed, 0, headline="Réécrit", summary="Autre résumé.", dropped=True)

    call = Through(
        ["edition", "revert", "--date", "{day}", "--story", "1"],
        ("items/0", {"op": "revert"}),
        ("POST", "/editions/{id}/items/0/revert", None),
    )
    worlds = await parity(tmp_path, smtp, then(two_stories, edited), call, "edition.item.revert")
    after = state(worlds["console"].store, 1)
    assert after["edits"] == [] and [i[2] for i in after["items"]] == ["Le budget adopté", "La pluie revient"]


async def test_pin_through_every_door_makes_the_story_the_lead(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["edition", "pin", "--date", "{day}", "--story", "2"],
        ("items/1", {"op": "pin"}),
        ("POST", "/editions/{id}/items/1/pin", {"pinned": True}),
    )
    worlds = await parity(tmp_path, smtp, two_stories, call, "edition.item.pin")
    after = state(worlds["cli"].store, 1)
    assert after["order"] == ([], STORY_2) and [i[2] for i in after["items"]] == [
        "La pluie revient",
        "Le budget adopté",
    ]


async def test_move_through_every_door(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["edition", "move", "--date", "{day}", "--story", "2", "--up"],
        ("items/1", {"op": "up"}),
        ("POST", "/editions/{id}/items/1/move", {"direction": "up"}),
    )
    worlds = await parity(tmp_path, smtp, two_stories, call, "edition.item.move")
    after = state(worlds["api"].store, 1)
    assert after["order"] == ([STORY_2, STORY_1], None) and [i[1] for i in after["items"]] == [STORY_2, STORY_1]


async def test_rebuild_through_every_door_keeps_the_editors_decisions(tmp_path: Path, smtp: SMTPServer) -> None:
    def decided(ops: Operations, ed: Any) -> None:
        desk.edit_item(ops, SETUP, ed, 0, headline="Le titre de la rédaction")
        desk.edit_item(ops, SETUP, ed, 2, dropped=True)
        desk.pin_item(ops, SETUP, ed, 3)
        desk.move_item(ops, SETUP, ed, 1, "down")

    call = Through(
        ["edition", "build", "--date", "{day}", "--language", "fr", "--rebuild"],
        ("rebuild", {}),
        ("POST", "/editions/{id}/rebuild", None),
    )
    seed = then(built_edition, decided)
    worlds = await parity(tmp_path, smtp, seed, call, "edition.rebuild")
    store = worlds["console"].store
    before = get_edition(worlds["console"].store, 1)
    kept = state(store, 1)
    assert before.items[0].position == 3 and before.items[0].title != "Le titre de la rédaction"
    assert any(e[1] == "Le titre de la rédaction" for e in kept["edits"]) and any(e[3] for e in kept["edits"])
    assert kept["order"] is not None and kept["order"][1] == before.items[0].url
    (_, _, details), *_ = audited(store)
    assert details["unkept"] == []
    assert "every decision kept" in worlds["console"].seen[0]


# Story decisions: merge, split, "Et enfin" (each rebuilds the edition) --------------------

#: Stories of :func:`built_edition` (the fixture day): the budget vote told by two outlets,
#: the drought plan and the drought feature, the Marrakech marathon.
BUDGET = "https://lequotidien.example.ma/politique/budget-2027-adopte"
BUDGET_TOO = "https://infomatin.example.com/2026/11/28/finances-feu-vert-deputes"
DROUGHT_PLAN = "https://agrinews.example.ma/irrigation-goutte-a-goutte"
DROUGHT_FEATURE = "https://lequotidien.example.ma/grand-format/eau-secheresse-enquete"
MARATHON = "https://sport360.example.ma/athletisme/marathon-marrakech-record"


def position_of(store: Store, edition_id: int, url: str) -> int:
    """The stored position of the story holding ``url``."""
    return next(i.position for i in original_items(store, edition_id) if url in item_urls(i))


def story_of(store: Store, edition_id: int, url: str) -> Any:
    """The story (as readers get it) holding ``url``, or None."""
    return next((i for i in get_edition(store, edition_id).items if url in item_urls(i)), None)


async def test_merge_through_every_door_makes_one_story_with_both_sources(tmp_path: Path, smtp: SMTPServer) -> None:
    probe = new_sqlite_store(tmp_path / "probe.db")
    probe_id = built_edition(probe, tmp_path)
    first, second = position_of(probe, probe_id, DROUGHT_PLAN), position_of(probe, probe_id, DROUGHT_FEATURE)
    assert first != second
    call = Through(
        ["edition", "merge", "--date", "{day}", "--story", str(first + 1), "--with", str(second + 1)],
        (f"items/{first}", {"op": "merge", "other": str(second)}),
        ("POST", f"/editions/{{id}}/items/{first}/merge", {"other": second}),
    )
    worlds = await parity(tmp_path, smtp, built_edition, call, "edition.story.merge", clocked=False)
    for door, world in worlds.items():
        merged = story_of(world.store, world.edition_id, DROUGHT_PLAN)
        assert merged is not None and merged.url == DROUGHT_PLAN, door
        assert DROUGHT_FEATURE in {link.url for link in merged.also_read}, door
        assert sum(1 for i in get_edition(world.store, world.edition_id).items if DROUGHT_FEATURE in item_urls(i)) == 1
        assert state(world.store, world.edition_id)["stories"] == [("merge", DROUGHT_PLAN, DROUGHT_FEATURE)]
    (_, target, details), *_ = audited(worlds["api"].store)
    assert target == f"edition:1:{first}" and details["other"] == DROUGHT_FEATURE and details["unkept"] == []
    assert f"Story {second + 1} merged into story {first + 1}." in worlds["console"].seen[0]
    assert '"unkept":[]' in worlds["api"].seen[0].replace(" ", "")


async def test_split_through_every_door_gives_each_source_its_own_story(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["edition", "split", "--date", "{day}", "--story", "1"],
        ("items/0", {"op": "split"}),
        ("POST", "/editions/{id}/items/0/split", None),
    )
    worlds = await parity(tmp_path, smtp, built_edition, call, "edition.story.split", clocked=False)
    for door, world in worlds.items():
        budget, too = story_of(world.store, 1, BUDGET), story_of(world.store, 1, BUDGET_TOO)
        assert budget is not None and too is not None and budget is not too, door
        assert budget.also_read == () and too.also_read == (), door
    assert "Story 1 split into its sources." in worlds["console"].seen[0]


def _probe(tmp_path: Path, url: str, seed: Seed = built_edition) -> int:
    """The position of the story holding ``url`` in ``seed``'s edition."""
    probe = new_sqlite_store(tmp_path / "probe.db")
    return position_of(probe, seed(probe, tmp_path), url)


def _marked(ops: Operations, ed: Any) -> object:
    return stories.mark_finally(ops, SETUP, ed, position_of(ops.store, ed.id, MARATHON))


@pytest.mark.parametrize("unmark", [False, True])
async def test_finally_through_every_door_closes_the_edition(tmp_path: Path, smtp: SMTPServer, unmark: bool) -> None:
    # Unmarking: marked first (not audited; the rebuild renumbers), then unmarked through each door.
    seed: Seed = then(built_edition, _marked) if unmark else built_edition
    at = _probe(tmp_path, MARATHON, seed)
    call = Through(
        ["edition", "finally", "--date", "{day}", "--story", str(at + 1), *(["--unmark"] if unmark else [])],
        (f"items/{at}", {"op": "unfinally" if unmark else "finally"}),
        ("POST", f"/editions/{{id}}/items/{at}/finally", {"finally": not unmark}),
    )
    worlds = await parity(tmp_path, smtp, seed, call, "edition.item.finally", clocked=False)
    for door, world in worlds.items():
        items = get_edition(world.store, world.edition_id).items
        closing = [i for i in items if i.kind is ItemKind.FINALLY]
        if unmark:
            assert closing == [] and state(world.store, 1)["stories"] == [("no_finally", MARATHON, "")], door
        else:
            assert [i.url for i in closing] == [MARATHON] and items[-1].url == MARATHON, door
            assert sum(1 for i in items if i.url == MARATHON) == 1, door
    (_, _, details), *_ = audited(worlds["cli"].store)
    assert details["changes"] == {
        "finally": {"before": MARATHON, "after": None} if unmark else {"before": None, "after": MARATHON}
    }


def _decided(ops: Operations, ed: Any) -> None:
    """Split the budget story, merge the drought feature into the plan, close with the marathon."""
    store = ops.store
    stories.split_story(ops, SETUP, ed, position_of(store, ed.id, BUDGET))
    first, second = position_of(store, ed.id, DROUGHT_PLAN), position_of(store, ed.id, DROUGHT_FEATURE)
    stories.merge_stories(ops, SETUP, ed, first, second)
    stories.mark_finally(ops, SETUP, ed, position_of(store, ed.id, MARATHON))


async def test_rebuild_through_every_door_keeps_merge_split_and_finally(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["edition", "build", "--date", "{day}", "--language", "fr", "--rebuild"],
        ("rebuild", {}),
        ("POST", "/editions/{id}/rebuild", None),
    )
    worlds = await parity(tmp_path, smtp, then(built_edition, _decided), call, "edition.rebuild", clocked=False)
    for door, world in worlds.items():
        items = get_edition(world.store, 1).items
        merged = story_of(world.store, 1, DROUGHT_PLAN)
        assert merged is not None and DROUGHT_FEATURE in item_urls(merged), door
        budget, too = story_of(world.store, 1, BUDGET), story_of(world.store, 1, BUDGET_TOO)
        assert budget is not None and budget.also_read == () and budget is not too, door
        assert items[-1].kind is ItemKind.FINALLY and items[-1].url == MARATHON, door
        assert [k for k, _, _ in state(world.store, 1)["stories"]] == ["split", "merge", "finally"], door
    (_, _, details), *_ = audited(worlds["cli"].store)
    assert details["unkept"] == []
    assert "every decision kept" in worlds["console"].seen[0]


def _gone(url: str) -> Callable[[Operations, Any], None]:
    def step(ops: Operations, ed: Any) -> None:
        _decided(ops, ed)
        with ops.store.engine.begin() as conn:
            conn.execute(delete(t.articles).where(t.articles.c.url == url))

    return step


async def test_a_rebuild_that_cannot_keep_the_finally_story_says_so(tmp_path: Path, smtp: SMTPServer) -> None:
    seed = then(built_edition, _gone(MARATHON))  # the closing story's article is gone from the store
    store = new_sqlite_store(tmp_path / "direct.db")
    edition_id = seed(store, tmp_path)
    before = state(store, edition_id)
    with pytest.raises(desk.RebuildWouldLose, match="finally: Marathon"):
        desk.rebuild(ops_of(store), SETUP, DAY, "fr")
    assert state(store, edition_id) == before  # refused: nothing changed

    call = Through(
        ["edition", "build", "--date", "{day}", "--language", "fr", "--rebuild", "--force"],
        ("rebuild", {"force": "1"}),
        ("POST", "/editions/{id}/rebuild?force=true", None),
    )
    worlds = await parity(tmp_path, smtp, seed, call, "edition.rebuild", clocked=False)
    for door, world in worlds.items():
        assert [k for k, _, _ in state(world.store, 1)["stories"]] == ["split", "merge"], door  # let go
        assert not any(i.kind is ItemKind.FINALLY for i in get_edition(world.store, 1).items), door
    (_, _, details), *_ = audited(worlds["cli"].store)
    assert [u.split(":")[0] for u in details["unkept"]] == ["finally"]
    assert "not kept: finally: Marathon" in worlds["cli"].seen[0]
    assert "not kept: marked as “And finally” — Marathon" in worlds["console"].seen[0]
    assert '"what":"finally"' in worlds["api"].seen[0].replace(" ", "")


async def test_test_send_through_the_console_and_the_api(tmp_path: Path, smtp: SMTPServer) -> None:
    # The CLI's test send is `digest send --to` (digest.cli.send).
    call = Through(
        [],
        ("test-send", {"to": "proof@example.org"}),
        ("POST", "/editions/{id}/test-send", {"to": ["proof@example.org"]}),
        doors=("console", "api"),
    )
    worlds = await parity(tmp_path, smtp, two_stories, call, "edition.test_send")
    assert all("proof:1:proof@example.org" in w.seen for w in worlds.values())


def failed_deliveries(store: Store, _tmp: Path) -> int:
    """An edition with three failed rows (one subscriber unsubscribed since) and one held."""
    edition_id = edition_with_deliveries(store, WEB_NOW - timedelta(hours=1), {"failed": 3, "held": 1})
    subs.unsubscribe(store, 3, now=WEB_NOW, source="test")
    return edition_id


async def test_retry_failed_through_every_door_says_why_some_were_not(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["deliveries", "retry-failed", "--date", "{day}"],
        ("/admin/deliveries/{id}/retry-failed", {}),
        ("POST", "/deliveries/{id}/retry-failed", None),
    )
    worlds = await parity(tmp_path, smtp, failed_deliveries, call, "delivery.retry_failed")
    after = state(worlds["cli"].store, 1)
    assert [r[1] for r in after["deliveries"]] == ["retry", "retry", "failed", "held"]
    (_, _, details), *_ = audited(worlds["cli"].store)
    assert details == {"rows": 2, "not_retried": {"unsubscribed": 1}}
    for door in ("cli", "console", "api"):
        assert "unsubscribed" in worlds[door].seen[0], door


async def test_release_held_through_every_door(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        ["deliveries", "release-held", "--date", "{day}"],
        ("/admin/deliveries/{id}/release-held", {}),
        ("POST", "/deliveries/{id}/release-held", None),
    )
    worlds = await parity(tmp_path, smtp, failed_deliveries, call, "delivery.release_held")
    assert [r[1] for r in state(worlds["api"].store, 1)["deliveries"]] == ["failed", "failed", "failed", "retry"]


def suppressed(store: Store, _tmp: Path) -> int:
    """An edition, and an unsubscribed address on the suppression list."""
    from web_support import add_subscriber

    subs.unsubscribe(store, add_subscriber(store, "gone@example.org", WEB_NOW), now=WEB_NOW, source="test")
    return add_edition(store, day=DAY, now=WEB_NOW)


async def test_suppression_removal_through_the_console_and_the_api(tmp_path: Path, smtp: SMTPServer) -> None:
    call = Through(
        [],
        ("/admin/suppressions/1/remove", {}),
        ("DELETE", "/suppressions?id=1", None),
        doors=("console", "api"),
    )
    worlds = await parity(tmp_path, smtp, suppressed, call, "suppression.remove")
    assert all(state(w.store, w.edition_id)["suppressions"] == [] for w in worlds.values())


async def test_every_desk_action_has_a_parity_test() -> None:
    import digest.actions.deliveries  # noqa: F401  (declares its actions)

    # `digest send` ("delivery.send") has one door, the CLI: tests/test_deliver_cli.py
    source = Path(__file__).read_text(encoding="utf-8") + (Path(__file__).parent / "test_deliver_cli.py").read_text(
        encoding="utf-8"
    )
    # suppression.* are the people's actions: tests/test_actions_people.py holds their cases
    ours = {name for name in ACTIONS if name.startswith(("edition.", "delivery."))}
    missing = {name for name in ours if f'"{name}"' not in source}
    assert missing == set()
