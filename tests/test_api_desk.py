"""API parity with the console: story edits, approval, failures, suppressions,
resending a confirmation; JSON errors for unknown paths and wrong methods; audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from delivery_support import add_edition, add_subscribers
from smtp_server import SMTPServer
from test_web_api import edition_with_deliveries
from web_support import ADMIN, Clock, add_subscriber, web_settings

from digest.store import Store, audit
from digest.store.desk import approval
from digest.store.editions import get_edition
from digest.subscribers import membership as subs
from digest.web.app import create_app


@pytest.fixture
async def client(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def test_patch_item_edits_drops_and_restores_and_is_audited(
    client: httpx.AsyncClient, store: Store, now: datetime
) -> None:
    edition_id = add_edition(store, day=now.date(), now=now)
    url = f"/api/editions/{edition_id}/items/0"
    edited = await client.patch(url, json={"summary": "Réécrit."}, headers=ADMIN)
    assert edited.status_code == 200 and edited.json()["summary"] == "Réécrit."
    assert get_edition(store, edition_id).items[0].summary == "Réécrit."
    dropped = await client.patch(url, json={"dropped": True}, headers=ADMIN)
    assert dropped.json()["dropped"] is True and dropped.json()["summary"] == "Réécrit."
    assert len(get_edition(store, edition_id).items) == 1
    restored = await client.patch(url, json={"dropped": False, "summary": None}, headers=ADMIN)
    assert restored.json()["edited"] is False and len(get_edition(store, edition_id).items) == 2
    bad = await client.patch(url, json={"dropped": "yes"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["field"] == "dropped"
    missing = await client.patch(f"/api/editions/{edition_id}/items/9", json={"dropped": True}, headers=ADMIN)
    assert missing.status_code == 404
    assert [e.actor for e in audit.recent(store)] == ["api"] * 3
    # One name per action whichever door (the console's names), the API as the door.
    assert [e.action for e in audit.recent(store)] == ["edition.item.revert", "edition.item.drop", "edition.item.save"]
    assert {e.details["door"] for e in audit.recent(store)} == {"api"}


async def test_patch_item_is_refused_once_delivery_started(
    client: httpx.AsyncClient, store: Store, now: datetime
) -> None:
    from digest.daily.build import fan_out_now

    edition_id = add_edition(store, day=now.date(), now=now)
    add_subscribers(store, 1, now=now)
    fan_out_now(store, [get_edition(store, edition_id)], now=now)
    locked = await client.patch(f"/api/editions/{edition_id}/items/0", json={"dropped": True}, headers=ADMIN)
    assert locked.status_code == 409 and "started" in locked.json()["error"]
    assert len(get_edition(store, edition_id).items) == 2


async def test_approve_and_failures(client: httpx.AsyncClient, store: Store, now: datetime) -> None:
    edition_id = edition_with_deliveries(store, now, {"failed": 2, "sent": 1})
    approved = await client.post(f"/api/editions/{edition_id}/approve", headers=ADMIN)
    assert approved.status_code == 200 and approved.json()["approved_by"] == "api"
    assert approval(store, edition_id) is not None
    failures = await client.get("/api/deliveries/failures", headers=ADMIN)
    assert failures.status_code == 200 and len(failures.json()["items"]) == 2
    assert (await client.post("/api/editions/99999/approve", headers=ADMIN)).status_code == 404


async def test_suppressions_list_search_and_delete(client: httpx.AsyncClient, store: Store, now: datetime) -> None:
    sub_id = add_subscriber(store, "gone@example.org", now)
    subs.unsubscribe(store, sub_id, now=now, source="test")
    listed = await client.get("/api/suppressions", headers=ADMIN)
    assert listed.json()["total"] == 1 and listed.json()["items"][0]["reason"] == "unsubscribed"
    found = await client.get("/api/suppressions", params={"address": "gone@example.org"}, headers=ADMIN)
    assert found.json()["total"] == 1
    removed = await client.delete("/api/suppressions", params={"address": "gone@example.org"}, headers=ADMIN)
    assert removed.status_code == 200
    assert (await client.get("/api/suppressions", headers=ADMIN)).json()["total"] == 0
    again = await client.delete("/api/suppressions", params={"address": "gone@example.org"}, headers=ADMIN)
    assert again.status_code == 404


async def test_resend_confirmation_mails_a_pending_subscriber_only(
    client: httpx.AsyncClient, store: Store, now: datetime, smtp: SMTPServer
) -> None:
    pending = add_subscriber(store, "new@example.org", now, confirmed=False)
    confirmed = add_subscriber(store, "old@example.org", now)
    sent = await client.post(f"/api/subscribers/{pending}/resend-confirmation", headers=ADMIN)
    assert sent.status_code == 202
    assert [m.rcpt_tos for m in smtp.received] == [("new@example.org",)]
    refused = await client.post(f"/api/subscribers/{confirmed}/resend-confirmation", headers=ADMIN)
    assert refused.status_code == 409


async def test_unknown_api_paths_and_wrong_methods_answer_json(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/api/nothing-here", headers=ADMIN)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/json")
    assert "error" in unknown.json()
    wrong = await client.put("/api/suppressions", headers=ADMIN)
    assert wrong.status_code == 405 and wrong.headers["content-type"].startswith("application/json")
    assert "error" in wrong.json()
    assert (await client.get("/api/suppressions")).status_code == 401
