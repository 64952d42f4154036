"""What the desk's actions keep and refuse: a rebuild carries the editor's edits, drops,
pinned lead and order to the new build by article URL (both backends); one that cannot
keep them asks first at every door and changes nothing, then runs when forced; an
approval cannot be withdrawn once delivery started."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_support import make_admin, sign_in, token_of
from click.testing import CliRunner
from database_support import new_sqlite_store
from delivery_support import add_edition
from smtp_server import SMTPServer
from sqlalchemy import delete
from test_actions_desk import (
    EDITOR,
    SETUP,
    WEB_NOW,
    Through,
    audited,
    built_edition,
    ops_of,
    parity,
    state,
    then,
)
from test_daily_build import DAY
from web_support import ADMIN, Clock, web_settings

from digest.actions import Operations
from digest.actions import editions as desk
from digest.admins import Role
from digest.cli import cli
from digest.store import Store, audit
from digest.store import desk as desk_store
from digest.store import tables as t
from digest.store.editions import get_edition
from digest.web.app import create_app


def test_decisions_survive_a_rebuild_by_url_on_each_backend(store: Store, tmp_path: Path) -> None:
    edition_id = built_edition(store, tmp_path)
    ops = ops_of(store)
    ed = get_edition(store, edition_id)
    urls = [i.url for i in ed.items]
    desk.edit_item(ops, SETUP, ed, ed.items[1].position, summary="Résumé de la rédaction.")
    desk.edit_item(ops, SETUP, ed, ed.items[2].position, dropped=True)
    desk.move_item(ops, SETUP, ed, ed.items[1].position, "up")
    desk.pin_item(ops, SETUP, ed, ed.items[3].position)
    desk.approve(ops, SETUP, ed)
    shown = [i.url for i in get_edition(store, edition_id).items]
    assert shown[:3] == [urls[3], urls[1], urls[0]] and urls[2] not in shown
    done = desk.rebuild(ops, SETUP, DAY, "fr")
    assert done.unkept == [] and [i.url for i in done.edition.items] == shown
    assert done.edition.items[1].summary == "Résumé de la rédaction."
    assert desk_store.approval(store, edition_id) is None  # new content, a new approval
    assert audit.recent(store)[0].action == "edition.rebuild"
    desk.withdraw(ops, SETUP, done.edition)  # nothing to withdraw: still one audited action
    assert audit.recent(store)[0].details["changes"] == {"approved_by": {"before": None, "after": None}}


async def test_rebuild_that_would_lose_a_pin_asks_first_then_is_forced(tmp_path: Path, smtp: SMTPServer) -> None:
    seed = then(built_edition, pinned_then_gone)
    store = new_sqlite_store(tmp_path / "refused.db")
    edition_id = seed(store, tmp_path)
    before = state(store, edition_id)
    ops = ops_of(store)
    with pytest.raises(desk.RebuildWouldLose) as refused:
        desk.rebuild(ops, SETUP, DAY, "fr")
    assert [u.what for u in refused.value.unkept] == ["pin"]
    assert state(store, edition_id) == before and audited(store) == []
    call = Through(
        ["edition", "build", "--date", "{day}", "--language", "fr", "--rebuild", "--force"],
        ("rebuild", {"force": "1"}),
        ("POST", "/editions/{id}/rebuild?force=true", None),
    )
    worlds = await parity(tmp_path, smtp, seed, call, "edition.rebuild", clocked=False)
    (_, _, details), *_ = audited(worlds["api"].store)
    assert details["unkept"] == [str(refused.value.unkept[0])]
    assert state(worlds["api"].store, 1)["order"][1] is None  # type: ignore[index]
    assert "not kept" in worlds["console"].seen[0] and "not kept" in worlds["cli"].seen[0]


def pinned_then_gone(ops: Operations, ed: Any) -> None:
    """The lead pinned, then its article removed from the store: a rebuild cannot keep it."""
    desk.pin_item(ops, SETUP, ed, 0)
    with ops.store.engine.begin() as conn:
        conn.execute(delete(t.articles).where(t.articles.c.url == ed.items[0].url))


async def test_each_door_asks_before_a_rebuild_that_would_lose_a_decision(tmp_path: Path, smtp: SMTPServer) -> None:
    seed = then(built_edition, pinned_then_gone)
    worlds: dict[str, tuple[Store, int]] = {}
    for door in ("cli", "console", "api"):
        home = tmp_path / door
        home.mkdir()
        store = new_sqlite_store(home / "digest.db")
        worlds[door] = (store, seed(store, home))
    store, edition_id = worlds["cli"]
    cfg = tmp_path / "digest.toml"
    cfg.write_text(f'[database]\nurl = "{store.url}"\n')
    result = CliRunner().invoke(cli, ["--config", str(cfg), "edition", "build", "--date", DAY.isoformat(), "--rebuild"])
    assert result.exit_code == 1 and "error: rebuild: " in result.output and "pin: " in result.output
    store, edition_id = worlds["console"]
    app = create_app(web_settings(tmp_path / "console", smtp.port), store, now=Clock(WEB_NOW))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Accept-Language": "en"}
    ) as client:
        make_admin(store, EDITOR, Role.EDITOR, WEB_NOW)
        await sign_in(client, EDITOR)
        token = await token_of(client, f"/admin/editions/{DAY.isoformat()}")
        asked = await client.post(f"/admin/editions/{DAY.isoformat()}/fr/rebuild", data={"csrf_token": token})
        assert asked.status_code == 200 and "Rebuild the edition?" in asked.text
        assert 'name="force" value="1"' in asked.text and "pinned as the lead" in asked.text
        store, edition_id = worlds["api"]
        api_app = create_app(web_settings(tmp_path / "api", smtp.port), store, now=Clock(WEB_NOW))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app), base_url="http://testserver") as api:
            refused = await api.post(f"/api/editions/{edition_id}/rebuild", headers=ADMIN)
            assert refused.status_code == 409 and [u["what"] for u in refused.json()["unkept"]] == ["pin"]
            moved = await api.post(f"/api/editions/{edition_id}/items/0/move", json={"direction": "up"}, headers=ADMIN)
            assert moved.status_code == 422 and "pinned" in moved.json()["error"]
    for door, (store, edition_id) in worlds.items():
        assert audited(store) == [], door  # nothing happened, nothing audited
        assert desk_store.order(store, edition_id) is not None, door  # the pin is still there


async def test_withdraw_is_refused_once_delivery_started(tmp_path: Path, store: Store, now: datetime) -> None:
    from web_support import add_subscriber

    from digest.daily.build import fan_out_now

    edition_id = add_edition(store, day=now.date(), now=now)
    ops = ops_of(store)
    desk.approve(ops, SETUP, get_edition(store, edition_id))
    add_subscriber(store, "reader@example.org", now)
    fan_out_now(store, [get_edition(store, edition_id)], now=now)
    with pytest.raises(desk.EditionLocked, match="started"):
        desk.withdraw(ops, SETUP, get_edition(store, edition_id))
    assert desk_store.approval(store, edition_id) is not None
    assert [e.action for e in audit.recent(store)] == ["edition.approve"]
