"""The admin API over real HTTP: bearer token, subscribers, CSV, editions, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from smtp_server import SMTPServer
from sqlalchemy import insert
from starlette.routing import Route
from web_support import ADMIN, ADMIN_TOKEN, Clock, RecordingProofSender, add_subscriber, web_settings

from digest.daily.status import delivery_status
from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.store import tables as t
from digest.web import api, api_desk, api_people
from digest.web.app import create_app

FIXTURES = Path(__file__).parent / "fixtures" / "subscribers"


@pytest.fixture
async def client(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, proofs: RecordingProofSender
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock, proof_sender=proofs)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


def edition_with_deliveries(store: Store, now: datetime, states: dict[str, int]) -> int:
    with store.engine.begin() as conn:
        edition_id = int(
            conn.execute(
                insert(t.editions).values(
                    newsletter="Le Brief",
                    edition_date=date(2026, 11, 29),
                    language="fr",
                    status="sending",
                    reading_minutes=5,
                    built_at=now,
                )
            ).inserted_primary_key[0]
        )
    n = 0
    for state, count in states.items():
        for _ in range(count):
            n += 1
            sub = add_subscriber(store, f"s{n}@example.org", now)
            with store.engine.begin() as conn:
                conn.execute(
                    insert(t.deliveries).values(
                        edition_id=edition_id, subscriber_id=sub, state=state, due_at=now, created_at=now,
                        updated_at=now,
                    )
                )  # fmt: skip
    return edition_id


ENDPOINTS = [
    ("GET", "/api/subscribers"),
    ("POST", "/api/subscribers"),
    ("GET", "/api/subscribers/1"),
    ("PATCH", "/api/subscribers/1"),
    ("DELETE", "/api/subscribers/1"),
    ("POST", "/api/subscribers/import"),
    ("GET", "/api/subscribers/export"),
    ("GET", "/api/editions"),
    ("GET", "/api/editions/1"),
    ("POST", "/api/editions/1/test-send"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", f"Basic {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x"])
async def test_api_without_the_right_bearer_token_is_401(
    client: httpx.AsyncClient, store: Store, clock: Clock, method: str, path: str, auth: str | None
) -> None:
    add_subscriber(store, "reader@example.org", clock.now)
    before = db.search(store)
    headers = {"Authorization": auth} if auth else {}
    response = await client.request(method, path, headers=headers, json={"email": "x@example.org"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {"error": "missing or wrong bearer token"}
    assert db.search(store) == before


async def test_api_is_closed_when_no_admin_token_is_configured(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port, web={"admin_token_file": ""})
    app = create_app(settings, store, now=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        response = await c.get("/api/subscribers", headers={"Authorization": "Bearer "})
    assert response.status_code == 401 and "no admin token configured" in response.json()["error"]


async def test_add_then_read_search_update_and_remove(
    client: httpx.AsyncClient, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    created = await client.post(
        "/api/subscribers",
        headers=ADMIN,
        json={"email": "Ravi@Example.in", "name": "Ravi", "language": "en", "topics": ["tech", "Sprot"],
              "timezone": "Asia/Kolkata", "send_at": "06:30"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    sub = body["subscriber"]
    assert (sub["email"], sub["status"], sub["topics"], sub["consent"]["source"]) == (
        "ravi@example.in",
        "pending",
        ["Tech", "Sprot"],
        "api",
    )
    assert body["warnings"] == ["topics: unknown category 'Sprot' (kept)"] and body["confirmation"] == "queued"
    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ("ravi@example.in",) and "Confirm your subscription" in mail.message()["Subject"]

    found = await client.get("/api/subscribers", headers=ADMIN, params={"q": "RAVI", "status": "pending"})
    assert found.json()["total"] == 1 and found.json()["items"][0]["id"] == sub["id"]
    assert (await client.get("/api/subscribers", headers=ADMIN, params={"q": "nobody"})).json()["total"] == 0
    assert (await client.get(f"/api/subscribers/{sub['id']}", headers=ADMIN)).json()["email"] == "ravi@example.in"

    patched = await client.patch(
        f"/api/subscribers/{sub['id']}", headers=ADMIN, json={"language": "fr", "status": "confirmed"}
    )
    assert patched.status_code == 200
    assert (patched.json()["subscriber"]["language"], patched.json()["subscriber"]["status"]) == ("fr", "confirmed")
    assert patched.json()["subscriber"]["timezone"] == "Asia/Kolkata"  # untouched fields keep their value

    removed = await client.delete(f"/api/subscribers/{sub['id']}", headers=ADMIN)
    assert removed.json() == {"id": sub["id"], "status": "unsubscribed"}
    assert db.suppression(store, "ravi@example.in") is not None

    refused = await client.post("/api/subscribers", headers=ADMIN, json={"email": "ravi@example.in"})
    assert refused.status_code == 409 and refused.json()["suppressed"] is True
    override = await client.post(
        "/api/subscribers", headers=ADMIN,
        json={"email": "ravi@example.in", "confirmed": True, "override_suppression": True},
    )  # fmt: skip
    assert override.status_code == 201 and override.json()["subscriber"]["status"] == "confirmed"
    assert override.json()["confirmation"] == "not needed"

    forgotten = await client.delete(f"/api/subscribers/{sub['id']}?forget=true", headers=ADMIN)
    assert forgotten.json()["status"] == "forgotten"
    assert db.by_email(store, "ravi@example.in") is None and db.suppression(store, "ravi@example.in") is not None


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"email": "not an address"}, 422, "email"),
        ({"email": "a@example.org", "timezone": "Mars/Base"}, 422, "timezone"),
        ({"email": "a@example.org", "language": "de"}, 422, "language"),
        ({"email": "a@example.org", "send_at": "25:61"}, 422, "send_at"),
        ({"email": "a@example.org", "confirmed": "yes"}, 422, "confirmed"),
        ({"email": "a@example.org", "colour": "blue"}, 422, "colour"),
        ({"name": "No Address"}, 422, "email"),
        (["a@example.org"], 400, None),
    ],
)
async def test_invalid_add_is_refused_naming_the_field(
    client: httpx.AsyncClient, store: Store, payload: object, status: int, field: str | None
) -> None:
    response = await client.post("/api/subscribers", headers=ADMIN, json=payload)
    assert response.status_code == status
    assert response.json().get("field") == field
    assert db.search(store) == []


async def test_duplicate_and_unknown_ids(client: httpx.AsyncClient, store: Store, clock: Clock) -> None:
    add_subscriber(store, "reader@example.org", clock.now)
    dup = await client.post("/api/subscribers", headers=ADMIN, json={"email": "READER@example.org"})
    assert dup.status_code == 409 and "already on the list" in dup.json()["error"]
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, "/api/subscribers/999", headers=ADMIN, json={})
        assert response.status_code == 404
    bad_status = await client.get("/api/subscribers", headers=ADMIN, params={"status": "gone"})
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "status"


async def test_csv_import_reports_rejected_rows_and_export_round_trips(
    client: httpx.AsyncClient, store: Store, smtp: SMTPServer
) -> None:
    data = (FIXTURES / "twelve_rows.csv").read_bytes()
    first = await client.post(
        "/api/subscribers/import?confirmed=true", headers={**ADMIN, "Content-Type": "text/csv"}, content=data
    )
    report = first.json()
    assert first.status_code == 200 and (report["ok"], report["added"], report["unchanged"]) == (False, 7, 0)
    assert [r["line"] for r in report["rejected"]] == [4, 6, 8, 9, 10]
    assert report["confirmations_queued"] == 0 and smtp.received == []
    again = (await client.post("/api/subscribers/import", headers=ADMIN, content=data)).json()
    assert (again["added"], again["unchanged"], len(again["rejected"])) == (0, 7, 5)

    exported = await client.get("/api/subscribers/export", headers=ADMIN)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("email,name,language,topics,timezone,send_at,status") and len(lines) == 8
    same = (await client.post("/api/subscribers/import?confirmed=true", headers=ADMIN, content=exported.content)).json()
    assert (same["added"], same["unchanged"], same["rejected"]) == (0, 7, [])

    bad = await client.post("/api/subscribers/import", headers=ADMIN, content=b"name\nX\n")
    assert bad.status_code == 422 and "no email column" in bad.json()["error"]


async def test_pending_rows_imported_through_the_api_get_their_confirmation(
    client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    body = b"email,name,language\nana@example.org,Ana,fr\nbob@example.org,Bob,en\n"
    report = (await client.post("/api/subscribers/import", headers=ADMIN, content=body)).json()
    assert report["added"] == 2 and report["confirmations_queued"] == 2
    mails = smtp.wait_for(2)
    subjects = {m.rcpt_tos[0]: m.message()["Subject"] for m in mails}
    assert subjects == {
        "ana@example.org": "Le Brief\u00a0: confirmez votre inscription",
        "bob@example.org": "Confirm your subscription to Le Brief",
    }


async def test_edition_status_counts_deliveries_by_state(client: httpx.AsyncClient, store: Store, clock: Clock) -> None:
    edition_id = edition_with_deliveries(store, clock.now, {"sent": 3, "pending": 2, "failed": 1})
    response = await client.get(f"/api/editions/{edition_id}", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body["edition"]["date"] == "2026-11-29" and body["edition"]["status"] == "sending"
    assert body["total"] == 6
    assert {k: v for k, v in body["deliveries"].items() if v} == {"sent": 3, "pending": 2, "failed": 1}
    listed = await client.get("/api/editions", headers=ADMIN)
    assert [e["id"] for e in listed.json()["items"]] == [edition_id]
    assert (await client.get(f"/api/editions/{edition_id + 1}", headers=ADMIN)).status_code == 404


async def test_edition_status_answers_from_the_report_digest_status_prints(
    client: httpx.AsyncClient, store: Store, clock: Clock, tmp_path: Path
) -> None:
    edition_id = edition_with_deliveries(store, clock.now, {"sent": 1, "failed": 2, "retry": 1, "held": 1})
    body = (await client.get(f"/api/editions/{edition_id}", headers=ADMIN)).json()
    status = delivery_status(store, web_settings(tmp_path, 25), date(2026, 11, 29), now=clock.now)
    (report,) = status.as_dict()["editions"]
    assert body["deliveries"] == report["counts"]
    for key in ("next_retry", "resent_after_crash", "in_flight", "held", "failed", "retrying"):
        assert body[key] == report[key], key
    assert sorted(row["email"] for row in body["failed"]) == ["s2@example.org", "s3@example.org"]
    assert [row["state"] for row in body["retrying"] + body["held"]] == ["retry", "held"]


async def test_test_send_goes_to_explicit_addresses_only(
    client: httpx.AsyncClient, store: Store, clock: Clock, proofs: RecordingProofSender
) -> None:
    edition_id = edition_with_deliveries(store, clock.now, {})
    response = await client.post(
        f"/api/editions/{edition_id}/test-send",
        headers=ADMIN,
        json={"to": ["Editor@Example.org", "editor@example.org"]},
    )
    assert response.status_code == 200
    assert response.json() == {"edition_id": edition_id, "results": {"editor@example.org": "sent"}}
    assert proofs.calls == [(edition_id, ["editor@example.org"])]
    for payload in ({"to": []}, {"to": "a@example.org"}, {"to": [f"a{i}@example.org" for i in range(11)]}):
        assert (
            await client.post(f"/api/editions/{edition_id}/test-send", headers=ADMIN, json=payload)
        ).status_code == 422
    missing = await client.post(
        f"/api/editions/{edition_id + 1}/test-send", headers=ADMIN, json={"to": ["a@example.org"]}
    )
    assert missing.status_code == 404 and len(proofs.calls) == 1


async def test_test_send_without_a_sender_is_501(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock) -> None:
    edition_id = edition_with_deliveries(store, clock.now, {})
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        response = await c.post(f"/api/editions/{edition_id}/test-send", headers=ADMIN, json={"to": ["a@example.org"]})
    assert response.status_code == 501


async def test_openapi_describes_every_api_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.") and spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    described = {
        (method.upper(), path) for path, ops in spec["paths"].items() for method in ops if method != "parameters"
    }
    served = {
        (method, route.path.replace(":int}", "}"))
        for route in [*api.routes, *api_desk.routes, *api_people.routes]
        if isinstance(route, Route) and route.path != "/openapi.json"
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert described == served
    refs = {v for v in _walk(spec) if isinstance(v, str) and v.startswith("#/components/")}
    for ref in refs:
        section, name = ref.split("/")[2:4]
        assert name in spec["components"][section], ref


def _walk(node: object) -> Iterator[object]:
    if isinstance(node, dict):
        for value in node.values():
            yield value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_statuses_in_the_spec_match_the_model() -> None:
    from digest.web.openapi import spec

    schema = spec()["components"]["schemas"]["Subscriber"]["properties"]["status"]
    assert schema["enum"] == [s.value for s in SubscriberStatus]


def test_every_changing_api_route_goes_through_the_action_layer() -> None:
    """A POST, PATCH or DELETE handler is marked ``acts``: it changes data only through
    digest.actions, so its audit row has the action's one name whichever door."""
    from digest.web import api, api_desk, api_people

    changing = [
        (module.__name__, route.path)
        for module in (api, api_desk, api_people)
        for route in module.routes
        if set(route.methods or ()) - {"GET", "HEAD"}
    ]
    assert len(changing) > 20
    unmarked = [
        (module.__name__, route.path)
        for module in (api, api_desk, api_people)
        for route in module.routes
        if set(route.methods or ()) - {"GET", "HEAD"} and not getattr(route.endpoint, "acts", False)
    ]
    assert unmarked == []
