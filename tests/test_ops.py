"""Operations: logs (one line, JSON, masked), metrics, /healthz and /metrics, the capture server."""

from __future__ import annotations

import io
import json
import logging
import smtplib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from digest import logs, metrics
from digest.deliver.local_inbox import CaptureServer
from digest.store import Store
from digest.tokens import Tokens
from digest.web.ops import ops_app, with_ops


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logs.setup("info", "json", stream=stream)
    try:
        yield stream
    finally:
        logs.teardown(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_mask_email_keeps_first_letter_and_domain() -> None:
    assert logs.mask_email("jane.doe@example.org") == "j***@example.org"
    assert logs.mask_email("not-an-address") == "***"
    assert logs.mask_emails("to a@b.fr and Zoé <zoe+news@mail.example.com>") == (
        "to a***@b.fr and Zoé <z***@mail.example.com>"
    )


def test_json_logs_are_one_object_per_line_with_extra_fields(log_stream: io.StringIO) -> None:
    log = logging.getLogger("digest.test")
    log.info("edition built", extra={"edition_date": "2026-03-23", "language": "fr", "items": 12})
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        log.exception("tick failed")
    first, second = lines(log_stream)
    assert first["message"] == "edition built" and first["level"] == "info" and first["logger"] == "digest.test"
    assert (first["edition_date"], first["items"]) == ("2026-03-23", 12)
    assert second["level"] == "error" and "RuntimeError: boom" in second["error"]
    assert len(log_stream.getvalue().splitlines()) == 2


def test_text_logs_are_one_line_even_with_a_traceback() -> None:
    stream = io.StringIO()
    handler = logs.setup("info", "text", stream=stream)
    try:
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            logging.getLogger("digest.test").exception("failed", extra={"job": "tick"})
    finally:
        logs.teardown(handler)
    (line,) = stream.getvalue().splitlines()
    assert " ERROR digest.test failed job=tick error=Traceback" in line
    assert "line one | line two" in line


def test_addresses_masked_at_info_but_not_at_debug() -> None:
    stream = io.StringIO()
    handler = logs.setup("debug", "json", stream=stream)
    try:
        log = logging.getLogger("digest.test")
        log.info("sent to %s", "jane@example.org", extra={"rcpt": "jane@example.org"})
        log.warning("bounce from bob@example.net")
        log.debug("smtp conversation with jane@example.org")
    finally:
        logs.teardown(handler)
    info, warning, debug = lines(stream)
    assert info["message"] == "sent to j***@example.org" and info["rcpt"] == "j***@example.org"
    assert warning["message"] == "bounce from b***@example.net"
    assert debug["message"] == "smtp conversation with jane@example.org"
    assert "jane@example.org" not in json.dumps([info, warning])


def test_registered_secrets_never_appear(log_stream: io.StringIO) -> None:
    logs.register_secret("s3cr3t-smtp-password")
    logging.getLogger("digest.test").error("login failed with %s", "s3cr3t-smtp-password")
    assert "s3cr3t" not in log_stream.getvalue()
    assert lines(log_stream)[0]["message"] == "login failed with ***"


def test_access_log_cuts_signed_tokens_from_paths_and_queries(log_stream: io.StringIO, now: datetime) -> None:
    token = Tokens("k" * 32, max_age_seconds=3600).make("unsubscribe", 1, now=now)
    access = logging.getLogger("uvicorn.access")
    fmt = '%s - "%s %s HTTP/%s" %d'
    access.info(fmt, "127.0.0.1:5000", "GET", f"/unsubscribe/{token}", "1.1", 200)
    access.info(fmt, "127.0.0.1:5000", "GET", f"/confirm?token={token}", "1.1", 200)
    access.info(fmt, "127.0.0.1:5000", "GET", "/static/fonts/source-serif-regular.woff2", "1.1", 200)
    first, second, third = (line["message"] for line in lines(log_stream))
    assert first == '127.0.0.1:5000 - "GET /unsubscribe/*** HTTP/1.1" 200'
    assert second == '127.0.0.1:5000 - "GET /confirm HTTP/1.1" 200'
    assert "source-serif-regular.woff2" in third
    assert token not in log_stream.getvalue()


def test_rate_meter_counts_the_last_window() -> None:
    meter = metrics.RateMeter(window_seconds=10)
    meter.add(5, at=100.0)
    meter.add(5, at=105.0)
    assert meter.rate(at=106.0) == 1.0
    assert meter.rate(at=110.5) == 0.5
    assert meter.rate(at=200.0) == 0.0


def metric_value(text: str, name: str, labels: str = "") -> float:
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{wanted} not in metrics")


class FixedStatus:
    def __init__(self, running: bool) -> None:
        self.running = running

    def status(self, now: datetime) -> Mapping[str, Any]:
        return {
            "running": self.running,
            "jobs": [{"id": "tick", "next_run_time": (now + timedelta(minutes=1)).isoformat()}],
        }


async def test_metrics_endpoint_serves_prometheus_text(store: Store, now: datetime) -> None:
    errors_before = metrics.REGISTRY.get_sample_value("digest_feed_poll_errors_total") or 0.0
    built_before = metrics.REGISTRY.get_sample_value("digest_editions_built_total", {"language": "fr"}) or 0.0
    metrics.message_outcome("sent", 250)
    metrics.message_outcome("failed", 550)
    metrics.message_outcome("retry", 451, count=2)
    metrics.feed_polled(ok=False)
    metrics.feed_polled(ok=True)
    metrics.edition_built("fr")
    app = ops_app(store, scheduler=FixedStatus(True), clock=lambda: now)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert metric_value(text, "digest_messages_total", 'code="550",outcome="failed"') >= 1
    assert metric_value(text, "digest_messages_total", 'code="451",outcome="retry"') >= 2
    assert metric_value(text, "digest_feed_poll_errors_total") == errors_before + 1
    assert metric_value(text, "digest_editions_built_total", 'language="fr"') == built_before + 1
    assert metric_value(text, "digest_deliveries_due") == 0
    assert metric_value(text, "digest_send_rate_per_second") > 0


async def test_healthz_ok_when_database_and_scheduler_are(store: Store, now: datetime) -> None:
    app = ops_app(store, scheduler=FixedStatus(True), clock=lambda: now)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        ok = await client.get("/healthz")
    assert ok.status_code == 200
    body = ok.json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["scheduler"]["jobs"][0]["next_run_time"] == (now + timedelta(minutes=1)).isoformat()


async def test_healthz_503_when_scheduler_stopped_or_database_missing(tmp_path: Path, now: datetime) -> None:
    empty = Store(f"sqlite:///{tmp_path / 'empty.db'}")  # no schema: `digest init` never ran
    try:
        app = ops_app(empty, scheduler=FixedStatus(False), clock=lambda: now)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get("/healthz")
    finally:
        empty.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["database"]["ok"] is False and "digest init" in body["database"]["error"]
    assert body["scheduler"]["running"] is False
    assert str(tmp_path) not in response.text  # no paths or URLs leak


async def test_with_ops_routes_two_paths_and_leaves_the_rest_to_the_app(store: Store, now: datetime) -> None:
    async def home(request: Any) -> PlainTextResponse:
        return PlainTextResponse("home")

    app = with_ops(Starlette(routes=[Route("/", home)]), ops_app(store, scheduler=FixedStatus(True), clock=lambda: now))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/")).text == "home"
        assert (await client.get("/healthz")).json()["status"] == "ok"
        assert (await client.get("/nothing")).status_code == 404


def test_capture_server_saves_each_message_as_eml(tmp_path: Path) -> None:
    data = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Bonjour\r\n\r\nCorps\r\n"
    with CaptureServer(tmp_path / "mail") as capture:
        assert capture.port > 0
        assert capture.smtp_overrides()["smtp"]["port"] == capture.port
        with smtplib.SMTP(capture.host, capture.port) as client:
            client.sendmail("a@example.org", ["b@example.org"], data)
            client.sendmail("a@example.org", ["c@example.org", "d@example.org"], data)
        first, second = capture.wait_for(2, timeout=5)
    assert first.path.read_bytes() == data
    assert first.path.name == "000001-b@example.org.eml"
    assert second.rcpt_tos == ("c@example.org", "d@example.org")
    assert sorted(p.name for p in (tmp_path / "mail").iterdir()) == [first.path.name, second.path.name]
    # A second server on the same folder continues the numbering instead of overwriting.
    with CaptureServer(tmp_path / "mail") as again:
        with smtplib.SMTP(again.host, again.port) as client:
            client.sendmail("a@example.org", ["e@example.org"], data)
        (third,) = again.wait_for(1, timeout=5)
    assert third.path.name.startswith("000003-")


def test_teardown_restores_the_loggers(caplog: pytest.LogCaptureFixture) -> None:
    digest_logger = logging.getLogger("digest")
    before = (digest_logger.propagate, digest_logger.level)
    handler = logs.setup("warning", "text", stream=io.StringIO())
    assert digest_logger.propagate is False
    logs.teardown(handler)
    assert (digest_logger.propagate, digest_logger.level) == before
    with caplog.at_level(logging.INFO, logger="digest"):
        logging.getLogger("digest.test").info("seen by pytest again")
    assert "seen by pytest again" in caplog.text
