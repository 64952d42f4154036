"""Bulk work on /admin/subscribers: ticked rows or every subscriber matching the filter,
one ``subscriber.bulk`` action (one audit row), a second confirmation before
unsubscribing or forgetting, the selection exported, page numbers and a "go to page"
field, the sort order said, plurals from the catalogues; and the JSON API's door."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_support import flash, make_admin, sign_in, token_of
from smtp_server import SMTPServer
from sqlalchemy import select
from web_support import ADMIN, Clock, add_subscriber, web_settings

from digest.admins import Role
from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.store import tables as t
from digest.web.app import create_app


@pytest.fixture
async def client(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Accept-Language": "en"}
    ) as c:
        yield c


@pytest.fixture
def people(store: Store, now: datetime) -> dict[str, int]:
    make_admin(store, "editor@example.org", Role.EDITOR, now)
    make_admin(store, "viewer@example.org", Role.VIEWER, now)
    ids = {}
    for name in ("ann", "bob", "cat"):
        ids[name] = add_subscriber(store, f"{name}@example.org", now, language="en", topics="Sport")
    for name in ("dan", "eve"):
        ids[name] = add_subscriber(store, f"{name}@example.org", now, language="fr")
    ids["pat"] = add_subscriber(store, "pat@example.org", now, confirmed=False, language="en")
    return ids


def bulk_audit(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.audit_log).where(t.audit_log.c.action == "subscriber.bulk")).all()
    return [json.loads(r.details) for r in rows]


def status_of(store: Store, subscriber_id: int) -> SubscriberStatus:
    sub = db.get(store, subscriber_id)
    assert sub is not None
    return sub.status


async def test_all_matching_unsubscribe_asks_first_with_the_count_then_changes_only_those(
    client: httpx.AsyncClient, store: Store, people: dict[str, int]
) -> None:
    await sign_in(client, "editor@example.org")
    page = html.unescape((await client.get("/admin/subscribers", params={"language": "en"})).text)
    assert "4 subscribers match." in page and "Or on all 4 subscribers matching this filter" in page
    form = {"csrf_token": await token_of(client, "/admin/subscribers"), "operation": "unsubscribe",
            "all_matching": "yes", "language": "en", "status": "confirmed"}  # fmt: skip
    asked = await client.post("/admin/subscribers/bulk", data=form)
    assert asked.status_code == 200
    text = html.unescape(asked.text)
    assert "3 subscribers will be unsubscribed and suppressed" in text and "Unsubscribe 3 subscribers" in text
    assert all(status_of(store, people[n]) is SubscriberStatus.CONFIRMED for n in ("ann", "bob", "cat"))
    assert bulk_audit(store) == []
    confirm = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.text))
    assert confirm["confirm"] == "yes" and confirm["all_matching"] == "yes"
    done = await client.post("/admin/subscribers/bulk", data=confirm)
    assert done.status_code == 303 and done.headers["location"] == "/admin/subscribers?status=confirmed&language=en"
    landed = await client.get(done.headers["location"])
    assert flash(landed.text) == "3 subscribers unsubscribed."
    assert all(status_of(store, people[n]) is SubscriberStatus.UNSUBSCRIBED for n in ("ann", "bob", "cat"))
    assert all(db.suppression(store, f"{n}@example.org") is not None for n in ("ann", "bob", "cat"))
    assert status_of(store, people["pat"]) is SubscriberStatus.PENDING  # outside the filter
    assert status_of(store, people["dan"]) is SubscriberStatus.CONFIRMED
    assert bulk_audit(store) == [
        {"operation": "unsubscribe", "selection": {"filter": {"status": "confirmed", "language": "en"}},
         "selected": 3, "changed": 3, "door": "console"}
    ]  # fmt: skip


async def test_ticked_rows_get_a_topic_and_the_message_counts_with_the_right_plural(
    client: httpx.AsyncClient, store: Store, people: dict[str, int]
) -> None:
    await sign_in(client, "editor@example.org")
    token = await token_of(client, "/admin/subscribers")
    form: dict[str, Any] = {"csrf_token": token, "operation": "add_topic", "topic_name": "Tech",
                            "id": [str(people["dan"]), str(people["ann"])]}  # fmt: skip
    done = await client.post("/admin/subscribers/bulk", data=form)
    landed = await client.get(done.headers["location"])
    # dan chose every topic (nothing to add); ann had Sport only.
    assert flash(landed.text) == "Topic Tech added for 1 subscriber. 1 left as it was (already so, or not possible)."
    ann, dan = db.get(store, people["ann"]), db.get(store, people["dan"])
    assert ann is not None and ann.topics == ("Sport", "Tech") and dan is not None and dan.topics == ()
    form = {"csrf_token": token, "operation": "remove_topic", "topic_name": "Sport",
            "id": [str(people["ann"]), str(people["bob"])]}  # fmt: skip
    done = await client.post("/admin/subscribers/bulk?lang=fr", data=form)
    landed = await client.get(done.headers["location"])
    assert html.unescape(flash(landed.text)) == "Rubrique Sport retirée pour 2 abonnés."
    nothing = await client.post("/admin/subscribers/bulk", data={"csrf_token": token, "operation": "forget"})
    assert "Tick at least one subscriber first." in html.unescape((await client.get(nothing.headers["location"])).text)


async def test_forget_in_bulk_is_confirmed_first_and_erases(
    client: httpx.AsyncClient, store: Store, people: dict[str, int]
) -> None:
    await sign_in(client, "editor@example.org")
    token = await token_of(client, "/admin/subscribers")
    form = {"csrf_token": token, "operation": "forget", "id": str(people["eve"])}
    asked = await client.post("/admin/subscribers/bulk", data=form)
    assert "The personal data of 1 subscriber will be erased" in html.unescape(asked.text)
    assert status_of(store, people["eve"]) is SubscriberStatus.CONFIRMED
    done = await client.post("/admin/subscribers/bulk", data={**form, "confirm": "yes"})
    assert done.status_code == 303
    assert status_of(store, people["eve"]) is SubscriberStatus.FORGOTTEN


async def test_the_selection_exports_as_csv_for_a_viewer_who_cannot_change_it(
    client: httpx.AsyncClient, store: Store, people: dict[str, int]
) -> None:
    await sign_in(client, "viewer@example.org")
    page = html.unescape((await client.get("/admin/subscribers")).text)
    assert '<option value="export"' in page and '<option value="unsubscribe"' not in page
    token = await token_of(client, "/admin/subscribers")
    form = {"csrf_token": token, "operation": "export", "id": [str(people["bob"]), str(people["eve"])]}
    export = await client.post("/admin/subscribers/bulk", data=form)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.strip().splitlines()
    assert len(lines) == 3 and "bob@example.org" in lines[1] and "eve@example.org" in lines[2]
    refused = await client.post(
        "/admin/subscribers/bulk",
        data={"csrf_token": token, "operation": "unsubscribe", "id": str(people["bob"]), "confirm": "yes"},
    )
    assert refused.status_code == 403
    assert status_of(store, people["bob"]) is SubscriberStatus.CONFIRMED


async def test_pages_are_numbered_with_a_go_to_field_and_the_sort_is_said(
    client: httpx.AsyncClient, store: Store, now: datetime, people: dict[str, int]
) -> None:
    for i in range(150):
        add_subscriber(store, f"reader{i:03d}@example.org", now)
    await sign_in(client, "viewer@example.org")
    first = html.unescape((await client.get("/admin/subscribers", params={"sort": "email", "dir": "asc"})).text)
    assert "1–50 of 156" in first and "Sorted by Address, ascending." in first
    assert 'aria-label="Page 2"' in first and 'aria-label="Page 3"' in first and ">Last<" in first
    assert "Go to page (1 to 4)" in first
    by_email = {"sort": "email", "dir": "asc"}
    third = html.unescape((await client.get("/admin/subscribers", params={**by_email, "page": "3"})).text)
    assert "101–150 of 156" in third and '<span aria-current="page">3</span>' in third and ">First<" in third
    beyond = html.unescape((await client.get("/admin/subscribers", params={"page": "99"})).text)
    assert "151–156 of 156" in beyond
    one = html.unescape((await client.get("/admin/subscribers", params={"q": "pat@", "lang": "fr"})).text)
    assert "1 abonné correspond." in one
    two = html.unescape((await client.get("/admin/subscribers", params={"q": "reader00"})).text)
    assert "10 abonnés correspondent." in two and "Triés par Depuis, ordre décroissant." in two


async def test_the_api_applies_a_bulk_operation_and_names_a_bad_field(
    client: httpx.AsyncClient, store: Store, people: dict[str, int]
) -> None:
    body = {"operation": "resend_confirmation", "filter": {"status": "pending"}}
    done = await client.post("/api/subscribers/bulk", headers=ADMIN, json=body)
    assert done.status_code == 200
    assert done.json() == {"operation": "resend_confirmation", "selected": 1, "changed": 1, "unchanged": 0,
                           "confirmations_queued": 1}  # fmt: skip
    for body, field in [
        ({"operation": "unsubscribe"}, "ids"),
        ({"operation": "unsubscribe", "ids": [1], "filter": {}}, "ids"),
        ({"operation": "explode", "ids": [1]}, "operation"),
        ({"operation": "add_topic", "ids": [1], "topic": "Cooking"}, "topic"),
        ({"operation": "unsubscribe", "filter": {"colour": "red"}}, "filter"),
    ]:
        refused = await client.post("/api/subscribers/bulk", headers=ADMIN, json=body)
        assert refused.status_code == 422 and refused.json()["error"].startswith(f"{field}:"), refused.text
    assert status_of(store, people["ann"]) is SubscriberStatus.CONFIRMED


@pytest.mark.parametrize(
    ("text", "topic", "sort", "descending", "offset"),
    [("martin", "", "email", False, 0), ("reader01", "", "created", True, 0), ("", "Sport", "name", True, 50),
     ("zzz", "", "email", False, 0), ("example", "", "name", False, 50), ("reader1", "Sport", "status", False, 0)],
)  # fmt: skip
def test_a_rare_search_found_in_one_scan_pages_as_the_counted_search_does(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch, text: str, topic: str, sort: str,
    descending: bool, offset: int,
) -> None:  # fmt: skip
    from digest.models import SubscriberQuery
    from digest.store import listings

    for i in range(150):
        name = "Martin Zoé" if i % 40 == 0 else f"Reader {i % 7}"
        add_subscriber(store, f"reader{i:03d}@example.org", now, name=name, topics="Sport" if i % 3 else "")
    q = SubscriberQuery(text=text, topic=topic, sort=sort, descending=descending)
    found = listings.find_subscribers(store, q, limit=50, offset=offset)
    monkeypatch.setattr(listings, "_FEW_IDS", 0)  # the count, then the index walk or the sorted scan
    counted = listings.find_subscribers(store, q, limit=50, offset=offset)
    assert [s.id for s in found[0]] == [s.id for s in counted[0]] and found[1] == counted[1]
